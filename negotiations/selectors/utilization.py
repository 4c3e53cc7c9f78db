"""Reads of utilization: the entries, the summary against the agreement, and the notices and
alerts about use (their conditions and wording: selectors.alerts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, QuerySet, Value

from cases.models import Case, CaseStatus

from .. import pricing
from ..models.agreements import Agreement
from ..models.reminders import Notification
from ..models.utilization import UtilizationEntry
from .alerts import USAGE_KINDS, NoticeLine, notice_lines
from .reminders import with_client_initials

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


def units_used(
    agreement: Agreement,
    billing_code: BillingCode,
    modifier: str,
    *,
    between: tuple[dt.date, dt.date] | None = None,
) -> int:
    """The units already recorded against the agreement for one code and modifier (on the
    service dates ``between`` two days, both included, when given)."""
    entries = agreement.utilization.filter(billing_code=billing_code, modifier=modifier)
    if between is not None:
        entries = entries.filter(service_date__range=between)
    return sum(entries.values_list("units", flat=True))


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
    """The usage alerts of the practice's approved cases (selectors.alerts.USAGE_KINDS), each
    condition once whoever it went to (its first notice: billing and the assignee each have
    one), newest first, with the same columns as ``unread_notifications``."""
    earlier = Notification.objects.filter(
        case_id=OuterRef("case_id"), key=OuterRef("key"), id__lt=OuterRef("id")
    )
    return (
        with_client_initials(
            Notification.objects.filter(
                case__practice_id=practice_id,
                kind__in=USAGE_KINDS,
                case__status=CaseStatus.APPROVED,
            ).exclude(Exists(earlier))
        )
        .annotate(unread_total=Value(0))
        .order_by("-created_at", "-id")
    )


def utilization_alerts(notices: list[Notification], *, limit: int = 20) -> list[NoticeLine]:
    """The alerts with their in-app wording, every code and condition (a condition once)."""
    seen: set[tuple[int, str]] = set()
    alerts = []
    for n in notices:
        if (n.case_id, n.key) not in seen:
            seen.add((n.case_id, n.key))
            alerts.append(n)
    return notice_lines(alerts[:limit])
