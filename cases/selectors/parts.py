"""What cases are made of, as the user may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.models import Consent

from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def consents_visible_to(user: User | AnonymousUser) -> QuerySet[Consent]:
    return Consent.objects.filter(case__practice_id__in=practice_ids_for(user))
