"""The reports: the summary for billing, and the negotiation board of the dashboard."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Extract
from django.utils import timezone

from cases.models import Appeal, AppealOutcome, Case, CaseStatus, RequestedService
from cases.permissions import practice_ids_where
from cases.selectors.case import case_summaries

from .. import pricing
from ..models.agreements import Agreement, AgreementLine

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class InsurerStats(TypedDict):
    insurer: int
    insurer_name: str
    decided: int
    approved: int
    approval_rate: Decimal | None
    median_days_to_decision: Decimal


class InsurerAppeals(TypedDict):
    insurer: int
    insurer_name: str
    filed: int
    pending: int
    upheld: int
    overturned: int
    withdrawn: int
    overturn_rate: Decimal | None


class ExpiringAgreement(TypedDict):
    case: int
    # The case's practice and client: what the access log records of each listed agreement.
    practice: int
    client: int
    agreement: int
    authorization_number: str
    end_date: dt.date


class ReportsSummary(TypedDict):
    cases_by_status: dict[str, int]
    insurers: list[InsurerStats]
    achieved_rate_pct_of_requested: Decimal | None
    agreements_expiring_30_days: list[ExpiringAgreement]
    appeals_by_insurer: list[InsurerAppeals]


class BoardColumn(TypedDict):
    status: str
    label: str
    count: int
    cases: list[Case]


class Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont), an ordered-set aggregate."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _median_days_by_insurer(decided: QuerySet[Case]) -> dict[int, Decimal]:
    """Median days from submission to decision per insurer, to 0.1 day, in Python: the
    embedded SQLite has no percentile function (PostgreSQL's is in the summary's query)."""
    tenth = Decimal("0.1")
    durations: dict[int, list[float]] = defaultdict(list)
    for insurer_id, submitted, done in decided.values_list(
        "insurer_id", "submitted_at", "decided_at"
    ):
        if submitted is None or done is None:  # not reached: the caller's filter is decided
            continue
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


def _appeals_by_insurer(practice_ids: list[int]) -> list[InsurerAppeals]:
    """Per insurer with appeals in the practices, the levels filed by outcome (each level of
    appeal counts once), and the overturn rate: overturned of decided (upheld or overturned;
    a withdrawn level was never decided). One statement, grouped in SQL."""
    rows = (
        Appeal.objects.filter(case__practice_id__in=practice_ids)
        .values("case__insurer_id", "case__insurer__name")
        .annotate(
            filed=Count("id"),
            pending=Count("id", filter=Q(outcome=AppealOutcome.PENDING)),
            upheld=Count("id", filter=Q(outcome=AppealOutcome.UPHELD)),
            overturned=Count("id", filter=Q(outcome=AppealOutcome.OVERTURNED)),
            withdrawn=Count("id", filter=Q(outcome=AppealOutcome.WITHDRAWN)),
        )
        .order_by("case__insurer__name", "case__insurer_id")
    )
    return [
        {
            "insurer": row["case__insurer_id"],
            "insurer_name": row["case__insurer__name"],
            "filed": row["filed"],
            "pending": row["pending"],
            "upheld": row["upheld"],
            "overturned": row["overturned"],
            "withdrawn": row["withdrawn"],
            "overturn_rate": pricing.percent_of(
                Decimal(row["overturned"]), Decimal(row["overturned"] + row["upheld"])
            ),
        }
        for row in rows
    ]


def billing_practice_ids(user: User | AnonymousUser) -> list[int]:
    return practice_ids_where(user, "reports")


def reports_summary(
    user: User | AnonymousUser, *, practice_id: int | None = None, today: dt.date | None = None
) -> ReportsSummary:
    """The summary, cached for REPORT_CACHE_SECONDS per set of practices: it reads every case of
    the practices, and a dashboard a minute old is as good as a fresh one."""
    today = today or timezone.localdate()
    ids = billing_practice_ids(user)
    if practice_id is not None:
        ids = [p for p in ids if p == practice_id]
    key = f"reports-summary:{','.join(map(str, sorted(ids)))}:{today.isoformat()}"
    cached: ReportsSummary | None = cache.get(key)
    if cached is None:
        cached = _reports_summary(ids, today)
        cache.set(key, cached, settings.REPORT_CACHE_SECONDS)
    return cached


def _reports_summary(ids: list[int], today: dt.date) -> ReportsSummary:
    """For billing: cases by status; per insurer the approval rate (approved of decided) and
    the median days from submission to decision; achieved rate as a percent of requested;
    agreements expiring within 30 days; appeals by outcome per insurer. A fixed number of
    queries, aggregated in SQL."""
    cases = Case.objects.filter(practice_id__in=ids)
    # An appealed case was denied, and counts so until the insurer reverses it.
    decided_statuses = [
        CaseStatus.APPROVED,
        CaseStatus.DENIED,
        CaseStatus.APPEALED,
        CaseStatus.DECLINED,
        CaseStatus.EXPIRED,
    ]
    approved_statuses = [CaseStatus.APPROVED, CaseStatus.EXPIRED]
    is_decided = Q(
        status__in=decided_statuses, submitted_at__isnull=False, decided_at__isnull=False
    )
    # One pass over the practices' cases, grouped by insurer: the counts per status (summed
    # below), the decided and approved, and on PostgreSQL the median (three scans before).
    per_status: dict[str, Aggregate] = {
        f"n_{s}": Count("id", filter=Q(status=s)) for s in CaseStatus.values
    }
    in_sql = connection.vendor == "postgresql"
    if in_sql:
        days = Extract(F("decided_at") - F("submitted_at"), "epoch") / 86400.0
        per_status["median_days"] = Median(days, filter=is_decided, output_field=FloatField())
    # Rows with columns named at run time (n_<status>, median_days): read as a mapping.
    per_insurer: list[Mapping[str, Any]] = list(
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
    insurers: list[InsurerStats] = [
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
                "practice": a.case.practice_id,
                "client": a.case.client_id,
                "agreement": a.pk,
                "authorization_number": a.authorization_number,
                "end_date": a.end_date,
            }
            for a in expiring
        ],
        "appeals_by_insurer": _appeals_by_insurer(ids),
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
) -> list[BoardColumn]:
    """Cases waiting on the insurer (submitted) and in negotiation, with the days since
    submission. ``counts`` per status come from the reports summary (counting the open cases
    took 4 ms at 100,000 cases; the summary has them, at most REPORT_CACHE_SECONDS old)."""
    board: list[BoardColumn] = []
    for status in BOARD_STATUSES:
        rows = columns.get(status, [])
        for case in rows:
            submitted = timezone.localtime(case.submitted_at).date() if case.submitted_at else today
            # For the dashboard's card; not a field of Case.
            setattr(case, "days_waiting", (today - submitted).days)  # noqa: B010
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
