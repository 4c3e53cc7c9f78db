"""Writes to the billing-code catalog: the loader shared by the command and the admin."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypedDict, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import BillingCode, CodeCategory, CodeSystem, Modifier

if TYPE_CHECKING:
    from django.contrib.auth.models import User

BUILTIN_CODES = Path(__file__).resolve().parent / "data" / "codes.csv"

CPT_RE = re.compile(r"^(\d{5}|\d{4}[FTU])$")
HCPCS_RE = re.compile(r"^[A-V]\d{4}$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n", ""}


class BillingCodeData(TypedDict, total=False):
    """The fields of a billing code a caller may set; an update names only those it changes."""

    code: str
    system: str
    short_description: str
    category: str
    unit_minutes: int | None
    is_aba: bool
    typical_credential: str
    is_active: bool


class ModifierData(TypedDict, total=False):
    """The fields of a modifier a caller may set; an update names only those it changes."""

    code: str
    description: str
    is_active: bool


@dataclass
class LoadReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected"
        )


def _bool(value: str, name: str) -> bool:
    v = (value or "").strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _code_fields(row: dict[str, str]) -> BillingCodeData:
    code = (row.get("code") or "").strip().upper()
    system = (row.get("system") or "").strip().upper()
    if system not in CodeSystem.values:
        raise ValueError(f"system must be CPT or HCPCS, not {system!r}")
    pattern = CPT_RE if system == CodeSystem.CPT else HCPCS_RE
    if not pattern.match(code):
        raise ValueError(f"code {code!r} is not a valid {system} code")
    description = (row.get("short_description") or "").strip()
    if not description:
        raise ValueError("short_description is required")
    if len(description) > 200:
        raise ValueError("short_description is longer than 200 characters")
    category = (row.get("category") or "other").strip().lower()
    if category not in CodeCategory.values:
        raise ValueError(f"category must be one of {', '.join(CodeCategory.values)}")
    minutes_raw = (row.get("unit_minutes") or "").strip()
    try:
        unit_minutes = int(minutes_raw) if minutes_raw else None
    except ValueError:
        raise ValueError(f"unit_minutes must be a whole number, not {minutes_raw!r}") from None
    if unit_minutes is not None and not 0 < unit_minutes <= 480:
        raise ValueError("unit_minutes must be between 1 and 480")
    return {
        "code": code,
        "system": system,
        "short_description": description,
        "category": category,
        "unit_minutes": unit_minutes,
        "is_aba": _bool(row.get("is_aba", ""), "is_aba"),
        "typical_credential": (row.get("typical_credential") or "").strip()[:20],
        "is_active": _bool(row.get("is_active") or "true", "is_active"),
    }


def _modifier_fields(row: dict[str, str]) -> ModifierData:
    code = (row.get("code") or "").strip().upper()
    if not MODIFIER_RE.match(code):
        raise ValueError(f"modifier {code!r} must be two letters or digits")
    description = (row.get("short_description") or row.get("description") or "").strip()
    if not description:
        raise ValueError("a modifier needs a description")
    return {
        "code": code,
        "description": description[:200],
        "is_active": _bool(row.get("is_active") or "true", "is_active"),
    }


def _upsert(
    model: type[BillingCode | Modifier], fields: Mapping[str, object], report: LoadReport
) -> None:
    obj = model.objects.filter(code=fields["code"]).first()
    if obj is None:
        model.objects.create(**fields)
        report.added += 1
        return
    changed = [k for k, v in fields.items() if getattr(obj, k) != v]
    if not changed:
        report.unchanged += 1
        return
    for k in changed:
        setattr(obj, k, fields[k])
    obj.save(update_fields=changed)
    report.updated += 1


def load_codes(*, stream: IO[str]) -> LoadReport:
    """Add or update codes and modifiers from CSV; bad lines are reported, good ones kept.

    Each good line is saved on its own so that one bad line never discards the others.
    """
    report = LoadReport()
    reader = csv.DictReader(stream)
    if not reader.fieldnames or "code" not in reader.fieldnames:
        report.rejected.append((1, "the header must name at least a 'code' column"))
        return report
    model: type[BillingCode | Modifier]
    fields: BillingCodeData | ModifierData
    for row in reader:
        line = reader.line_num
        kind = (row.get("kind") or "code").strip().lower()
        try:
            if kind == "code":
                model, fields = BillingCode, _code_fields(row)
            elif kind == "modifier":
                model, fields = Modifier, _modifier_fields(row)
            else:
                raise ValueError(f"kind must be 'code' or 'modifier', not {kind!r}")
        except ValueError as exc:
            report.rejected.append((line, str(exc)))
            continue
        with transaction.atomic():
            _upsert(model, fields, report)
    return report


def load_builtin_codes() -> LoadReport:
    with BUILTIN_CODES.open(newline="", encoding="utf-8") as fh:
        return load_codes(stream=fh)


BILLING_CODE_FIELDS = list(BillingCodeData.__annotations__)
MODIFIER_FIELDS = list(ModifierData.__annotations__)


_Entry = TypeVar("_Entry", BillingCode, Modifier)


def _save(obj: _Entry, data: Mapping[str, object], fields: list[str], actor: User) -> _Entry:
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    for name, value in data.items():
        setattr(obj, name, value)
    obj.code = (obj.code or "").strip().upper()
    obj.full_clean()
    obj._history_user = actor  # the author in the catalog's change history
    obj.save()
    return obj


@transaction.atomic
def billing_code_save(
    *, instance: BillingCode | None = None, actor: User, data: BillingCodeData
) -> BillingCode:
    """Create a code, or change the fields ``data`` names of ``instance``."""
    code = (
        BillingCode.objects.select_for_update().get(pk=instance.pk) if instance else BillingCode()
    )
    if "system" in data or "code" in data:
        system = data.get("system", code.system)
        value = (data.get("code", code.code) or "").strip().upper()
        pattern = CPT_RE if system == CodeSystem.CPT else HCPCS_RE
        if not pattern.match(value):
            raise ValidationError({"code": f"'{value}' is not a valid {system} code."})
    return _save(code, data, BILLING_CODE_FIELDS, actor)


@transaction.atomic
def modifier_save(*, instance: Modifier | None = None, actor: User, data: ModifierData) -> Modifier:
    """Create a modifier, or change the fields ``data`` names of ``instance``."""
    modifier = Modifier.objects.select_for_update().get(pk=instance.pk) if instance else Modifier()
    if "code" in data and not MODIFIER_RE.match((data["code"] or "").strip().upper()):
        raise ValidationError({"code": "A modifier is two letters or digits."})
    return _save(modifier, data, MODIFIER_FIELDS, actor)
