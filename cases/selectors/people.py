"""A practice's clients and providers, as the user may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.models import Client, Provider

from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def clients_visible_to(user: User | AnonymousUser) -> QuerySet[Client]:
    return Client.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice", "insurer"
    )


def providers_visible_to(user: User | AnonymousUser) -> QuerySet[Provider]:
    return Provider.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice"
    )
