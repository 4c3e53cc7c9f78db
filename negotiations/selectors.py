"""Reads with rules: the negotiation desk, utilization, notifications and the reports."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import asdict
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Extract
from django.utils import timezone

from cases.models import Case, CaseStatus, RequestedService
from cases.permissions import practice_ids_where, user_roles
from cases.selectors import case_policy, case_summaries

from . import pricing
from .models import (
    Agreement,
    AgreementLine,
    ContactLog,
    Notification,
    Offer,
    OfferParty,
    OfferStatus,
    PracticeRate,
)


def offers_for(case: Case) -> QuerySet[Offer]:
    return case.offers.prefetch_related("lines__billing_code").select_related("created_by")


def practice_rates_visible_to(user) -> QuerySet[PracticeRate]:
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


def contacts_for(case: Case) -> QuerySet[ContactLog]:
    """The case's contact log with who wrote each entry, oldest first."""
    return case.contacts.select_related("created_by")


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def negotiation_summary(case: Case, *, services=None, offers=None) -> dict:
    """The negotiation desk: the policy, a benchmark row per code for the latest insurer offer,
    the suggested counter (negotiable policies only) and the agreement's value. A caller that
    already loaded the services (with their codes) and the offers (entry order) passes them."""
    policy = case_policy(case)
    if services is None:
        services = list(case.services.select_related("billing_code"))
    if offers is None:
        offers = list(offers_for(case))
    insurer_offers = [o for o in offers if o.party == OfferParty.INSURER]
    latest = insurer_offers[-1] if insurer_offers else None
    offered = (
        {(ln.billing_code_id, ln.modifier): ln.rate for ln in latest.lines.all()} if latest else {}
    )
    last_ask: dict[tuple[int, str], Decimal | None] = {
        (s.billing_code_id, s.modifier): s.requested_rate for s in services
    }
    for o in offers:
        if o.party == OfferParty.PRACTICE:
            for ln in o.lines.all():
                last_ask[(ln.billing_code_id, ln.modifier)] = ln.rate
    policy_rates = (
        {(r.billing_code_id, r.modifier): r for r in policy.rates.all()} if policy else {}
    )
    practice_rates = {
        (r.billing_code_id, r.modifier): r
        for r in PracticeRate.objects.filter(practice_id=case.practice_id)
    }
    negotiable = policy is None or policy.is_negotiable
    rows = []
    for s in services:
        key = (s.billing_code_id, s.modifier)
        pr = policy_rates.get(key) or policy_rates.get((s.billing_code_id, ""))
        own = practice_rates.get(key) or practice_rates.get((s.billing_code_id, ""))
        row = pricing.benchmark_row(
            code=s.billing_code.code,
            modifier=s.modifier,
            requested_rate=s.requested_rate,
            offered_rate=offered.get(key),
            highest_network_rate=pr.highest_network_rate if pr else None,
            reference_rate=pr.reference_rate if pr else None,
            usual_rate=own.usual_rate if own else None,
            floor_rate=own.floor_rate if own else None,
        )
        suggestion = None
        ask = last_ask.get(key)
        if negotiable and row.offered_rate is not None and ask is not None:
            suggestion = pricing.suggested_counter(
                offered=row.offered_rate, last_ask=ask, floor=row.floor_rate
            )
        policy_pays = pricing.policy_pays(policy, pr) if policy and pr else None
        rows.append(
            {
                **asdict(row),
                "last_ask": ask,
                "suggested_counter": suggestion,
                "policy_rate": policy_pays,
            }
        )
    agreement = getattr(case, "agreement", None) if hasattr(case, "agreement") else None
    return {
        "policy": (
            {
                "id": policy.pk,
                "kind": policy.kind,
                "negotiable": policy.is_negotiable,
                "percent": policy.percent,
                "reference_schedule": policy.reference_schedule,
            }
            if policy
            else None
        ),
        "negotiable": negotiable,
        "open_offer": next((o.pk for o in offers if o.status == OfferStatus.OPEN), None),
        "latest_insurer_offer": latest.pk if latest else None,
        "rows": rows,
        "agreement": agreement_summary(agreement) if agreement else None,
    }


def agreement_summary(agreement: Agreement) -> dict:
    lines = list(agreement.lines.select_related("billing_code"))
    value = pricing.agreement_value(
        [(ln.rate, ln.units_authorized, ln.unit_period) for ln in lines],
        agreement.start_date,
        agreement.end_date,
    )
    return {
        "id": agreement.pk,
        "authorization_number": agreement.authorization_number,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "sessions_authorized": agreement.sessions_authorized,
        "flags": agreement.flags,
        "lines": [
            {
                "code": ln.billing_code.code,
                "modifier": ln.modifier,
                "rate": ln.rate,
                "units_authorized": ln.units_authorized,
                "unit_period": ln.unit_period,
                "value": v,
            }
            for ln, v in zip(lines, value.lines, strict=True)
        ],
        "total_value": value.total,
    }


def utilization_summary(agreement: Agreement) -> dict:
    """Per line: units authorized over the period, used, remaining, percent; and sessions
    (a session is a service date) used and remaining. Uses prefetched rows when present."""
    entries = list(agreement.utilization.all())
    used: dict[tuple[int, str], int] = defaultdict(int)
    for e in entries:
        used[(e.billing_code_id, e.modifier)] += e.units
    lines = []
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


class Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont), an ordered-set aggregate."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _median_days_by_insurer(decided) -> dict[int, Decimal]:
    """Median days from submission to decision per insurer, to 0.1 day, in Python: the
    embedded SQLite has no percentile function (PostgreSQL's is in the summary's query)."""
    tenth = Decimal("0.1")
    durations: dict[int, list[float]] = defaultdict(list)
    for insurer_id, submitted, done in decided.values_list(
        "insurer_id", "submitted_at", "decided_at"
    ):
        durations[insurer_id].append((done - submitted).total_seconds() / 86400)
    return {k: Decimal(str(statistics.median(v))).quantize(tenth) for k, v in durations.items()}


def _achieved_and_requested(practice_ids: list[int]) -> tuple[Decimal, Decimal]:
    """Agreed rate x units against requested rate x units, for the codes present in both,
    summed in the database (one join; a correlated subquery was 20 times slower)."""
    if not practice_ids:
        return Decimal(0), Decimal(0)
    marks = ", ".join(["%s"] * len(practice_ids))
    sql = f"""
        SELECT SUM(al.rate * al.units_authorized), SUM(rs.requested_rate * al.units_authorized)
        FROM {AgreementLine._meta.db_table} al
        JOIN {Agreement._meta.db_table} a ON a.id = al.agreement_id
        JOIN {Case._meta.db_table} c ON c.id = a.case_id
        JOIN {RequestedService._meta.db_table} rs ON rs.case_id = a.case_id
            AND rs.billing_code_id = al.billing_code_id AND rs.modifier = al.modifier
        WHERE c.practice_id IN ({marks}) AND rs.requested_rate > 0
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, practice_ids)
        achieved, requested = cursor.fetchone()
    return Decimal(str(achieved or 0)), Decimal(str(requested or 0))


def billing_practice_ids(user) -> list[int]:
    return practice_ids_where(user, "reports")


def reports_summary(user, *, practice_id: int | None = None, today: dt.date | None = None) -> dict:
    """The summary, cached for REPORT_CACHE_SECONDS per set of practices: it reads every case of
    the practices, and a dashboard a minute old is as good as a fresh one."""
    today = today or timezone.localdate()
    ids = billing_practice_ids(user)
    if practice_id is not None:
        ids = [p for p in ids if p == practice_id]
    key = f"reports-summary:{','.join(map(str, sorted(ids)))}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = _reports_summary(ids, today)
        cache.set(key, cached, settings.REPORT_CACHE_SECONDS)
    return cached


def _reports_summary(ids: list[int], today: dt.date) -> dict:
    """For billing: cases by status; per insurer the approval rate (approved of decided) and
    the median days from submission to decision; achieved rate as a percent of requested;
    agreements expiring within 30 days. A fixed number of queries, aggregated in SQL."""
    cases = Case.objects.filter(practice_id__in=ids)
    decided_statuses = [
        CaseStatus.APPROVED,
        CaseStatus.DENIED,
        CaseStatus.DECLINED,
        CaseStatus.EXPIRED,
    ]
    approved_statuses = [CaseStatus.APPROVED, CaseStatus.EXPIRED]
    is_decided = Q(
        status__in=decided_statuses, submitted_at__isnull=False, decided_at__isnull=False
    )
    # One pass over the practices' cases, grouped by insurer: the counts per status (summed
    # below), the decided and approved, and on PostgreSQL the median (three scans before).
    per_status = {f"n_{s}": Count("id", filter=Q(status=s)) for s in CaseStatus.values}
    in_sql = connection.vendor == "postgresql"
    if in_sql:
        days = Extract(F("decided_at") - F("submitted_at"), "epoch") / 86400.0
        per_status["median_days"] = Median(days, filter=is_decided, output_field=FloatField())
    per_insurer = list(
        cases.values("insurer_id", "insurer__name")
        .annotate(
            n=Count("id", filter=is_decided),
            approved=Count("id", filter=is_decided & Q(status__in=approved_statuses)),
            **per_status,
        )
        .order_by("insurer__name")
    )
    by_status = {s: sum(row[f"n_{s}"] for row in per_insurer) for s in CaseStatus.values}
    tenth = Decimal("0.1")
    medians = (
        {
            r["insurer_id"]: Decimal(str(r["median_days"])).quantize(tenth)
            for r in per_insurer
            if r["n"]
        }
        if in_sql
        else _median_days_by_insurer(cases.filter(is_decided))
    )
    insurers = [
        {
            "insurer": row["insurer_id"],
            "insurer_name": row["insurer__name"],
            "decided": row["n"],
            "approved": row["approved"],
            "approval_rate": pricing.percent_of(Decimal(row["approved"]), Decimal(row["n"])),
            "median_days_to_decision": medians[row["insurer_id"]],
        }
        for row in per_insurer
        if row["n"]
    ]

    achieved_total, requested_total = _achieved_and_requested(ids)
    expiring = (
        Agreement.objects.filter(
            case__practice_id__in=ids,
            case__status=CaseStatus.APPROVED,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=30),
        )
        .select_related("case")
        .order_by("end_date")
    )
    return {
        "cases_by_status": by_status,
        "insurers": insurers,
        "achieved_rate_pct_of_requested": pricing.percent_of(achieved_total, requested_total),
        "agreements_expiring_30_days": [
            {
                "case": a.case_id,
                "agreement": a.pk,
                "authorization_number": a.authorization_number,
                "end_date": a.end_date,
            }
            for a in expiring
        ],
    }


# ----------------------------------------------------------------------------- dashboard


BOARD_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.IN_NEGOTIATION)


def board_column(practice_id: int, status: str) -> QuerySet[Case]:
    """A column of the negotiation board: the longest waiting first, on an index. The columns
    select what the dashboard's other case lists select (the client and the insurer), so the
    page reads them all in one statement (cases.selectors.case_summaries)."""
    return case_summaries(Case.objects.filter(practice_id=practice_id, status=status)).order_by(
        "submitted_at", "id"
    )


def negotiation_board(
    columns: dict[str, list[Case]], counts: dict[str, int], *, today: dt.date
) -> list[dict]:
    """Cases waiting on the insurer (submitted) and in negotiation, with the days since
    submission. ``counts`` per status come from the reports summary (counting the open cases
    took 4 ms at 100,000 cases; the summary has them, at most REPORT_CACHE_SECONDS old)."""
    board = []
    for status in BOARD_STATUSES:
        rows = columns.get(status, [])
        for case in rows:
            submitted = timezone.localtime(case.submitted_at).date() if case.submitted_at else today
            case.days_waiting = (today - submitted).days
        board.append(
            {
                "status": status,
                "label": CaseStatus(status).label,
                # At most a minute old: never fewer than the cards read just now.
                "count": max(counts.get(status, 0), len(rows)),
                "cases": rows,
            }
        )
    return board


def unread_notifications(user, practice_id: int) -> QuerySet[Notification]:
    """The user's unread notices about the practice's cases, newest first. Each row carries
    ``unread_total``, the count of them all (a window), so the navigation's badge needs no
    query of its own on the dashboard."""
    return (
        Notification.objects.filter(user=user, read_at__isnull=True, case__practice_id=practice_id)
        .annotate(unread_total=Window(Count("id")))
        .order_by("-created_at", "-id")
    )


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
