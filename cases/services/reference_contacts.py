"""Writes to a practice's own SCA contacts at an insurer (one per practice, insurer and
purpose), used before the directory's defaults; the practice's administrators call them. Part
of the reference area (``cases.services.reference`` re-exports them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db import transaction

from cases.models import Insurer, InsurerContact, Practice

from .common import apply_fields, clean_and_save, set_history_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ContactData(TypedDict, total=False):  # what a caller may set; an update names some
    department: str
    address: str
    fax: str
    email: str
    phone: str
    portal_url: str
    notes: str


CONTACT_FIELDS = list(ContactData.__annotations__)


def _clean_contact(contact: InsurerContact) -> None:
    for name in CONTACT_FIELDS:
        setattr(contact, name, (getattr(contact, name) or "").strip())


@transaction.atomic
def insurer_contact_create(
    *,
    actor: User,
    practice: Practice,
    insurer: Insurer,
    data: ContactData,
    purpose: str = "sca_request",
) -> InsurerContact:
    contact = InsurerContact(practice=practice, insurer=insurer, purpose=purpose)
    apply_fields(contact, data, CONTACT_FIELDS)
    _clean_contact(contact)
    set_history_user(contact, actor)
    clean_and_save(contact)
    return contact


@transaction.atomic
def insurer_contact_update(
    *, contact: InsurerContact, actor: User, data: ContactData
) -> InsurerContact:
    contact = InsurerContact.objects.select_for_update().get(pk=contact.pk)
    if apply_fields(contact, data, CONTACT_FIELDS):
        _clean_contact(contact)
        set_history_user(contact, actor)
        clean_and_save(contact)
    return contact


@transaction.atomic
def insurer_contact_save(
    *, actor: User, practice: Practice, insurer: Insurer, purpose: str, data: ContactData
) -> InsurerContact:
    """The practice's contact for this insurer and purpose, created or changed (one form)."""
    existing = InsurerContact.objects.filter(
        practice=practice, insurer=insurer, purpose=purpose
    ).first()
    if existing is None:
        return insurer_contact_create(
            actor=actor, practice=practice, insurer=insurer, purpose=purpose, data=data
        )
    return insurer_contact_update(contact=existing, actor=actor, data=data)


@transaction.atomic
def insurer_contact_delete(*, contact: InsurerContact, actor: User) -> None:
    set_history_user(contact, actor)
    contact.delete()
