"""A practice's clients and providers, as the user may see them."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Client, Provider

from .tenancy import practice_ids_for


def clients_visible_to(user) -> QuerySet[Client]:
    return Client.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice", "insurer"
    )


def providers_visible_to(user) -> QuerySet[Provider]:
    return Provider.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice"
    )
