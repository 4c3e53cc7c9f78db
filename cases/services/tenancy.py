"""Writes to a practice's own settings."""

from __future__ import annotations

from django.db import transaction

from cases.models import Practice

from .common import apply_fields, clean_and_save, set_history_user

PRACTICE_FIELDS = [
    "name",
    "npi",
    "tax_id",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "fax",
    "email",
    "signatory_name",
    "signatory_title",
]


@transaction.atomic
def practice_update(*, practice: Practice, actor, **data) -> Practice:
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if "tax_id" in data and data["tax_id"]:
        data["tax_id"] = data["tax_id"].replace("-", "").strip()
    if apply_fields(practice, data, PRACTICE_FIELDS):
        set_history_user(practice, actor)
        clean_and_save(practice)
    return practice
