"""Which practices a user belongs to, and which members get the daily task digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.models import Membership, Practice
from cases.permissions import user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def practice_ids_for(user: User | AnonymousUser) -> list[int]:
    return list(user_roles(user).keys())


def practices_for(user: User | AnonymousUser) -> QuerySet[Practice]:
    return Practice.objects.filter(id__in=practice_ids_for(user))


def digest_members() -> QuerySet[Membership]:
    """The memberships whose member gets the daily task digest (negotiations' task list):
    active users of active practices who left it on."""
    return (
        Membership.objects.filter(task_digest=True, user__is_active=True, practice__is_active=True)
        .select_related("user")
        .order_by("practice_id", "user_id")
    )


def digest_enabled(user: User, practice_id: int) -> bool:
    return Membership.objects.filter(user=user, practice_id=practice_id, task_digest=True).exists()
