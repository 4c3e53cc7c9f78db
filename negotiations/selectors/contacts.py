"""Reads of the contact log."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case

from ..models.contacts import ContactLog


def contacts_for(case: Case) -> QuerySet[ContactLog]:
    """The case's contact log with who wrote each entry, oldest first."""
    return case.contacts.select_related("created_by")
