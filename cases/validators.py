"""Field validators a billing office relies on (NPI, tax id, ICD-10-CM, state, ZIP, dates)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils import timezone

US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
}  # fmt: skip

# Autism spectrum codes valid in ICD-10-CM. F84.1 (atypical autism) is ICD-10 (WHO) only.
AUTISM_CODES = {"F84.0", "F84.2", "F84.3", "F84.5", "F84.8", "F84.9"}
ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
TAX_ID_RE = re.compile(r"^\d{9}$")
TAXONOMY_RE = re.compile(r"^\d{3}[0-9A-Z]{6}X$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def validate_npi(value: str) -> None:
    """An NPI is 10 digits whose Luhn check, with the 80840 card prefix, holds."""
    if not value or not value.isdigit() or len(value) != 10:
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if not luhn_ok("80840" + value):
        raise ValidationError("This NPI fails its check digit; check for a typo.", code="npi_check")


def validate_tax_id(value: str) -> None:
    if not TAX_ID_RE.match(value or ""):
        raise ValidationError("A tax id (EIN) is 9 digits.", code="tax_id_format")


def validate_zip(value: str) -> None:
    if not ZIP_RE.match(value or ""):
        raise ValidationError("A ZIP code is 5 digits, or ZIP+4 as 12345-6789.", code="zip_format")


def validate_state(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(
            f"'{value}' is not a US state code (two capital letters, e.g. NY).", code="state"
        )


def validate_taxonomy(value: str) -> None:
    if not TAXONOMY_RE.match(value or ""):
        raise ValidationError(
            "A taxonomy code is 10 characters ending in X, e.g. 103K00000X.", code="taxonomy"
        )


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValidationError("A US phone or fax number has 10 digits.", code="phone")


def validate_icd10_code(value: str) -> None:
    if not isinstance(value, str) or not ICD10_RE.match(value):
        raise ValidationError(
            f"'{value}' is not an ICD-10-CM code (letter, two characters, optional dot and "
            "up to four more, e.g. F84.0).",
            code="icd10_format",
        )
    if value.startswith("F84") and value not in AUTISM_CODES:
        raise ValidationError(
            f"'{value}' is not a billable ICD-10-CM autism code; use one of "
            f"{', '.join(sorted(AUTISM_CODES))}.",
            code="icd10_autism",
        )


MAX_DIAGNOSIS_CODES = 12  # a claim form carries twelve diagnosis pointers (CMS-1500 box 21)


def validate_diagnosis_codes(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Diagnosis codes are a list of ICD-10-CM codes.", code="icd10_list")
    if len(value) > MAX_DIAGNOSIS_CODES:
        raise ValidationError(
            f"Give at most {MAX_DIAGNOSIS_CODES} diagnosis codes.", code="icd10_too_many"
        )
    for code in value:
        validate_icd10_code(code)
    if len(set(value)) != len(value):
        raise ValidationError("A diagnosis code is listed twice.", code="icd10_duplicate")


def validate_not_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError("This date is in the future.", code="future_date")


def npi_check_digit(first_nine: str) -> str:
    """The check digit that makes ``first_nine`` + digit a valid NPI (for fixtures and demos)."""
    for digit in "0123456789":
        if luhn_ok("80840" + first_nine + digit):
            return digit
    raise ValueError(first_nine)  # unreachable: one digit always fits


def make_npi(first_nine: str) -> str:
    return first_nine + npi_check_digit(first_nine)


def validate_kinds(value, choices: list[str], what: str) -> None:
    """A JSON list of distinct kinds, each one of ``choices`` (``what`` names them)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"List the {what} kinds.", code="kind_list")
    unknown = sorted(set(value) - set(choices))
    if unknown:
        raise ValidationError(
            f"Unknown {what} kind(s): {', '.join(unknown)}. Choose from {', '.join(choices)}.",
            code="kind_unknown",
        )
    if len(set(value)) != len(value):
        raise ValidationError(f"A {what} kind is listed twice.", code="kind_duplicate")
