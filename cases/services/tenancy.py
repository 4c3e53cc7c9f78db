"""Writes to practices (the tenants) and to who belongs to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import Membership, Practice, Role

from .common import apply_fields, clean_and_save, set_history_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class PracticeData(TypedDict, total=False):
    """A practice's own settings; an update names only those it changes."""

    name: str
    npi: str
    tax_id: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    fax: str
    email: str
    signatory_name: str
    signatory_title: str
    # The mental health parity paragraph of the practice's appeal letters; empty: the shipped
    # default (cases.selectors.appeals.DEFAULT_PARITY_TEXT).
    appeal_parity_text: str


PRACTICE_FIELDS = list(PracticeData.__annotations__)
# A paragraph of a letter, not a document.
APPEAL_PARITY_TEXT_MAX_LENGTH = 4000


def _normalized(data: PracticeData) -> PracticeData:
    tax_id = data.get("tax_id")
    if tax_id:
        data = {**data, "tax_id": tax_id.replace("-", "").strip()}
    parity = data.get("appeal_parity_text")
    if parity is not None:
        parity = parity.strip()
        if len(parity) > APPEAL_PARITY_TEXT_MAX_LENGTH:
            raise ValidationError(
                {
                    "appeal_parity_text": "Keep the parity paragraph to "
                    f"{APPEAL_PARITY_TEXT_MAX_LENGTH:,} characters."
                }
            )
        data = {**data, "appeal_parity_text": parity}
    return data


@transaction.atomic
def practice_create(*, actor: User, data: PracticeData) -> Practice:
    """A new practice (the site's operators set one up); its first administrator is added
    with ``membership_add``."""
    practice = Practice()
    apply_fields(practice, _normalized(data), PRACTICE_FIELDS)
    set_history_user(practice, actor)
    clean_and_save(practice)
    return practice


@transaction.atomic
def practice_update(*, practice: Practice, actor: User, data: PracticeData) -> Practice:
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if apply_fields(practice, _normalized(data), PRACTICE_FIELDS):
        set_history_user(practice, actor)
        clean_and_save(practice)
    return practice


@transaction.atomic
def practice_set_active(*, practice: Practice, actor: User, is_active: bool) -> Practice:
    """Switch a practice off or on: its members lose or regain it at their next request
    (``user_roles`` counts active practices only). The site's operators do this, never a
    practice's own administrator: the API's practice settings do not carry it."""
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if practice.is_active != is_active:
        practice.is_active = is_active
        set_history_user(practice, actor)
        clean_and_save(practice, update_fields=["is_active"])
    return practice


# ----------------------------------------------------------------------------- memberships


def _lock_practice(practice_id: int) -> None:
    # Serializes membership writes per practice, so that the last-admin check holds.
    Practice.objects.select_for_update().filter(pk=practice_id).first()


def _lock_membership(membership: Membership) -> Membership:
    _lock_practice(membership.practice_id)
    locked = (
        Membership.objects.select_for_update()
        .select_related("practice")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:  # removed meanwhile
        raise ValidationError("This membership no longer exists; reload the page.")
    return locked


def _check_keeps_an_admin(membership: Membership) -> None:
    """A practice keeps at least one administrator: only one may manage its members."""
    if membership.role != Role.ADMIN:
        return
    others = (
        Membership.objects.filter(practice_id=membership.practice_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ValidationError(
            {
                "role": f"{membership.practice} needs at least one administrator; make another "
                "member an administrator first."
            }
        )


@transaction.atomic
def membership_add(*, actor: User, practice: Practice, user: User, role: str) -> Membership:
    """``user`` joins ``practice`` with ``role`` (once per practice)."""
    _lock_practice(practice.pk)
    membership = Membership(practice=practice, user=user, role=role)
    clean_and_save(membership)
    return membership


@transaction.atomic
def membership_update(*, actor: User, membership: Membership, role: str) -> Membership:
    """A member's new role; the practice's last administrator stays one."""
    membership = _lock_membership(membership)
    if membership.role == role:
        return membership
    if role != Role.ADMIN:
        _check_keeps_an_admin(membership)
    membership.role = role
    clean_and_save(membership, update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """The member leaves the practice; its last administrator cannot."""
    membership = _lock_membership(membership)
    _check_keeps_an_admin(membership)
    membership.delete()
