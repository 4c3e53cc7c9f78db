"""Reads of the practice fee schedule: usual rates and floors."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from cases.permissions import user_roles

from ..models.fee_schedule import PracticeRate

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def practice_rates_visible_to(user: User | AnonymousUser) -> QuerySet[PracticeRate]:
    return PracticeRate.objects.filter(practice_id__in=user_roles(user).keys()).select_related(
        "billing_code", "practice"
    )


def usual_rates_for(practice_id: int) -> dict[tuple[int, str], Decimal]:
    """The practice's fee schedule: {(billing_code_id, modifier): usual rate}."""
    return {
        (code_id, modifier): rate
        for code_id, modifier, rate in PracticeRate.objects.filter(
            practice_id=practice_id
        ).values_list("billing_code_id", "modifier", "usual_rate")
    }


def practice_rates_by_code(practice_id: int) -> dict[tuple[int, str], PracticeRate]:
    """The practice's fee schedule rows: {(billing_code_id, modifier): rate}."""
    return {
        (r.billing_code_id, r.modifier): r
        for r in PracticeRate.objects.filter(practice_id=practice_id)
    }


def floor_rates_for(practice_id: int) -> dict[tuple[int, str], Decimal]:
    """The practice's floors: {(billing_code_id, modifier): floor rate}, codes with one only."""
    return {
        (code_id, modifier): floor
        for code_id, modifier, floor in PracticeRate.objects.filter(
            practice_id=practice_id, floor_rate__isnull=False
        ).values_list("billing_code_id", "modifier", "floor_rate")
        if floor is not None  # the filter's; for the type
    }
