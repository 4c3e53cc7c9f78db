"""Which practices a user belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.models import Practice
from cases.permissions import user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def practice_ids_for(user: User | AnonymousUser) -> list[int]:
    return list(user_roles(user).keys())


def practices_for(user: User | AnonymousUser) -> QuerySet[Practice]:
    return Practice.objects.filter(id__in=practice_ids_for(user))
