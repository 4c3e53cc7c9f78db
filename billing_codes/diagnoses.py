"""ICD-10-CM descriptions of the diagnoses an ABA request names (the F84 pervasive
developmental disorders, F88 and F89), so that a letter gives each code with its meaning.

The texts are the official CMS ICD-10-CM long descriptions (public domain). Only these codes
are needed; any other code is written alone."""

from __future__ import annotations

DIAGNOSES: dict[str, str] = {
    "F84.0": "Autistic disorder",
    "F84.2": "Rett's syndrome",
    "F84.3": "Other childhood disintegrative disorder",
    "F84.5": "Asperger's syndrome",
    "F84.8": "Other pervasive developmental disorders",
    "F84.9": "Pervasive developmental disorder, unspecified",
    "F88": "Other disorders of psychological development",
    "F89": "Unspecified disorder of psychological development",
}


def diagnosis_description(code: str) -> str:
    """The code's description, or "" for a code not in the table."""
    return DIAGNOSES.get(code.strip().upper(), "")


def diagnosis_label(code: str) -> str:
    """How a diagnosis is written in documents: "F84.0 Autistic disorder", or the code alone
    when its description is not in the table."""
    code = code.strip().upper()
    description = DIAGNOSES.get(code)
    return f"{code} {description}" if description else code
