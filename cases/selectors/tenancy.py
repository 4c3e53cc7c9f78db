"""Which practices a user belongs to."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Practice
from cases.permissions import user_roles


def practice_ids_for(user) -> list[int]:
    return list(user_roles(user).keys())


def practices_for(user) -> QuerySet[Practice]:
    return Practice.objects.filter(id__in=practice_ids_for(user))
