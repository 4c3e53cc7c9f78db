"""Reads of utilization: the entries, the summary against the agreement, and the notices and
alerts about use."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import QuerySet, Value

from cases.models import Case, CaseStatus

from .. import pricing
from ..models.agreements import Agreement
from ..models.reminders import Notification
from ..models.utilization import UtilizationEntry

if TYPE_CHECKING:
    from billing_codes.models import BillingCode


class UtilizationLine(TypedDict):
    id: int
    code: str
    modifier: str
    units_authorized: int
    units_used: int
    units_remaining: int
    percent_used: Decimal | None
    over_authorized: bool


class UtilizationSummary(TypedDict):
    agreement: int
    lines: list[UtilizationLine]
    sessions_authorized: int | None
    sessions_used: int
    sessions_remaining: int | None


def utilization_for(case: Case) -> QuerySet[UtilizationEntry]:
    return UtilizationEntry.objects.filter(agreement__case=case).select_related("billing_code")


def units_used(agreement: Agreement, billing_code: BillingCode, modifier: str) -> int:
    """The units already recorded against the agreement for one code and modifier."""
    return sum(
        agreement.utilization.filter(billing_code=billing_code, modifier=modifier).values_list(
            "units", flat=True
        )
    )


def utilization_summary(agreement: Agreement) -> UtilizationSummary:
    """Per line: units authorized over the period, used, remaining, percent; and sessions
    (a session is a service date) used and remaining. Uses prefetched rows when present."""
    entries = list(agreement.utilization.all())
    used: dict[tuple[int, str], int] = defaultdict(int)
    for e in entries:
        used[(e.billing_code_id, e.modifier)] += e.units
    lines: list[UtilizationLine] = []
    for ln in agreement.lines.all():
        authorized = pricing.period_units(
            ln.units_authorized, ln.unit_period, agreement.start_date, agreement.end_date
        )
        authorized = authorized.to_integral_value()
        u = used.get((ln.billing_code_id, ln.modifier), 0)
        lines.append(
            {
                "id": ln.pk,
                "code": ln.billing_code.code,
                "modifier": ln.modifier,
                "units_authorized": int(authorized),
                "units_used": u,
                "units_remaining": max(int(authorized) - u, 0),
                "percent_used": pricing.percent_of(Decimal(u), authorized) if authorized else None,
                "over_authorized": u > authorized,
            }
        )
    sessions_used = len({e.service_date for e in entries})
    remaining = (
        max(agreement.sessions_authorized - sessions_used, 0)
        if agreement.sessions_authorized is not None
        else None
    )
    return {
        "agreement": agreement.pk,
        "lines": lines,
        "sessions_authorized": agreement.sessions_authorized,
        "sessions_used": sessions_used,
        "sessions_remaining": remaining,
    }


def utilization_notices(practice_id: int) -> QuerySet[Notification]:
    """The low-sessions and 80%-of-units notices of the practice's approved cases (whoever
    they went to), newest first, with the same columns as ``unread_notifications``."""
    return (
        Notification.objects.filter(
            case__practice_id=practice_id,
            kind__in=["sessions_low", "units_high"],
            case__status=CaseStatus.APPROVED,
        )
        .annotate(unread_total=Value(0))
        .order_by("-created_at", "-id")
    )


def utilization_alerts(notices: list[Notification], *, limit: int = 10) -> list[Notification]:
    """The latest notice per case and kind (read at least ``3 * limit`` notices)."""
    seen: set[tuple[int, str]] = set()
    alerts = []
    for n in notices:
        if (n.case_id, n.kind) not in seen:
            seen.add((n.case_id, n.kind))
            alerts.append(n)
    return alerts[:limit]
