"""The practice fee schedule: a usual rate and a floor per code and modifier."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Final, Literal

from django.db import transaction

from billing_codes.models import BillingCode
from cases.models import Practice
from cases.services.common import set_history_user
from cases.services.reference import validate_modifier

from ..models.fee_schedule import PracticeRate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A rate's fields, as practice_rate_save takes them.
PRACTICE_RATE_FIELDS = ["billing_code", "modifier", "usual_rate", "floor_rate"]


class Unset(Enum):
    """Not given: the field keeps its value."""

    UNSET = "unset"


UNSET: Final[Literal[Unset.UNSET]] = Unset.UNSET


@transaction.atomic
def practice_rate_save(
    *,
    actor: User,
    practice: Practice,
    instance: PracticeRate | None = None,
    billing_code: BillingCode | Unset = UNSET,
    modifier: str | Unset = UNSET,
    usual_rate: Decimal | Unset = UNSET,
    floor_rate: Decimal | None | Unset = UNSET,
) -> PracticeRate:
    """Add a rate to the practice's schedule, or change ``instance``: a field left UNSET keeps
    its value (a partial update)."""
    rate = (
        PracticeRate.objects.select_for_update().get(pk=instance.pk)
        if instance
        else PracticeRate(practice=practice)
    )
    given = {
        "billing_code": billing_code,
        "modifier": modifier,
        "usual_rate": usual_rate,
        "floor_rate": floor_rate,
    }
    for name, value in given.items():
        if value is not UNSET:
            setattr(rate, name, value)
    rate.modifier = validate_modifier(rate.modifier)
    rate.full_clean()
    set_history_user(rate, actor)
    rate.save()
    return rate


@transaction.atomic
def practice_rate_delete(*, actor: User, instance: PracticeRate) -> None:
    set_history_user(instance, actor)
    instance.delete()
