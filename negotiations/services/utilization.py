"""Utilization: the units used on a service date, against the agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing_codes.models import code_label
from cases.services.case import lock_case, record_event
from cases.services.reference import validate_modifier
from core.exceptions import conflict

from .. import pricing
from ..models.agreements import Agreement
from ..models.utilization import UtilizationEntry
from ..selectors.alerts import calendar_period
from ..selectors.utilization import units_used
from .alerts import alerts_evaluate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from billing_codes.models import BillingCode

UTILIZATION_FIELDS = ["service_date", "billing_code", "modifier", "units"]
# Units on one service date (the API's serializer and the desk's form read these; the model
# field refuses fewer than 1 as well).
UTILIZATION_UNITS_MIN = 1
UTILIZATION_UNITS_MAX = 10_000


@transaction.atomic
def utilization_record(
    *,
    case_id: int,
    actor: User,
    service_date: dt.date,
    billing_code: BillingCode,
    units: int | None,
    modifier: str = "",
    confirm_over_authorized: bool = False,
) -> UtilizationEntry:
    """Units used on a service date. A date in the future, outside the agreement's dates or a
    code it does not cover: refused. Past the authorized units (a per-week or per-month cap
    within its calendar period): refused (409 ``over_authorized``) unless the person confirms
    it (``confirm_over_authorized``; the session happened and the insurer is asked after),
    then recorded and flagged. The case's usage alerts are evaluated at once."""
    if service_date > timezone.localdate():
        raise ValidationError({"service_date": "This date is in the future; record use after it."})
    case = lock_case(case_id)
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise conflict("no_agreement", "This case has no agreement to record use against.")
    modifier = validate_modifier(modifier)
    if not agreement.start_date <= service_date <= agreement.end_date:
        raise ValidationError(
            {
                "service_date": f"Outside the agreement ({agreement.start_date.isoformat()} to "
                f"{agreement.end_date.isoformat()})."
            }
        )
    line = agreement.lines.filter(billing_code=billing_code, modifier=modifier).first()
    if line is None:
        label = code_label(billing_code.code, modifier)
        raise ValidationError(
            {"billing_code": f"{label} is not in the agreement; claims for it would be denied."}
        )
    if units is None or units < UTILIZATION_UNITS_MIN:
        raise ValidationError({"units": "Units must be at least 1."})
    if units > UTILIZATION_UNITS_MAX:
        raise ValidationError(
            {"units": f"Record at most {UTILIZATION_UNITS_MAX:,} units on one date."}
        )
    period = calendar_period(line.unit_period, service_date)
    if period is None:  # a total over the agreement
        used = units_used(agreement, billing_code, modifier)
        authorized = pricing.period_units(
            line.units_authorized, line.unit_period, agreement.start_date, agreement.end_date
        ).to_integral_value()
    else:  # a cap per calendar week or month: its units never roll over
        used = units_used(agreement, billing_code, modifier, between=period)
        authorized = Decimal(line.units_authorized)
    over = used + units > authorized
    if over and not confirm_over_authorized:
        label = code_label(billing_code.code, modifier)
        start = period[0] if period else None
        within = f" in the {_noun(line.unit_period)} of {start:%b} {start.day}" if start else ""
        raise conflict(
            "over_authorized",
            f"{units} unit(s) would take {label} to {used + units} of its {authorized} authorized "
            f"units{within}. Confirm to record them anyway, and ask the insurer for more.",
            units_used=used,
            units_authorized=int(authorized),
        )
    entry = UtilizationEntry.objects.create(
        agreement=agreement,
        service_date=service_date,
        billing_code=billing_code,
        modifier=modifier,
        units=units,
        over_authorized=over,
        entered_by=actor if actor.pk else None,
    )
    record_event(
        case,
        actor,
        "utilization_recorded",
        f"{units} unit(s) of {billing_code.code} recorded.",
        {"entry": entry.pk, "over_authorized": entry.over_authorized},
    )
    alerts_evaluate(case_id=case.pk, service_date=service_date)
    return entry


def _noun(unit_period: str) -> str:
    return "week" if unit_period == "per_week" else "month"
