"""The appeal rules (DESIGN.md rule 11): which levels a client's line of business has, when
each is due, what may be filed next, the warnings of an appeal, and where a denial that
cannot be appealed is escalated. Pure reads: the services and the pages share them."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import (
    NOT_APPEALABLE,
    Appeal,
    AppealLevel,
    AppealOutcome,
    AttachmentKind,
    Case,
    CaseStatus,
    LineOfBusiness,
    RatePolicy,
)

from .readiness_rules import Check, warning
from .reference import case_policy

L = AppealLevel
# The levels of each line of business, in the order they are filed. Commercial plans
# (ERISA and fully insured alike): a first internal appeal, an optional second, then an
# independent external review. Medicaid managed care: the plan's one appeal, then a State Fair
# Hearing. TRICARE: reconsideration.
LEVELS: dict[str, tuple[str, ...]] = {
    LineOfBusiness.COMMERCIAL: (L.INTERNAL_1, L.INTERNAL_2, L.EXTERNAL_REVIEW),
    LineOfBusiness.OTHER: (L.INTERNAL_1, L.INTERNAL_2, L.EXTERNAL_REVIEW),
    LineOfBusiness.MEDICAID: (L.INTERNAL_1, L.STATE_FAIR_HEARING),
    LineOfBusiness.TRICARE: (L.RECONSIDERATION,),
}
# Levels that may be skipped: a commercial plan's second internal level is optional.
OPTIONAL_LEVELS = frozenset({L.INTERNAL_2})
# How long each level has, counted from the denial it answers (the first level: the denial
# received; a later one: the upheld decision before it), as (days, months). The first level's
# days give way to the policy's ``appeal_days``.
DEADLINES: dict[tuple[str, str], tuple[int, int]] = {
    (LineOfBusiness.COMMERCIAL, L.INTERNAL_1): (180, 0),
    (LineOfBusiness.COMMERCIAL, L.INTERNAL_2): (60, 0),
    (LineOfBusiness.COMMERCIAL, L.EXTERNAL_REVIEW): (0, 4),
    (LineOfBusiness.OTHER, L.INTERNAL_1): (180, 0),
    (LineOfBusiness.OTHER, L.INTERNAL_2): (60, 0),
    (LineOfBusiness.OTHER, L.EXTERNAL_REVIEW): (0, 4),
    (LineOfBusiness.MEDICAID, L.INTERNAL_1): (60, 0),
    (LineOfBusiness.MEDICAID, L.STATE_FAIR_HEARING): (120, 0),
    (LineOfBusiness.TRICARE, L.RECONSIDERATION): (90, 0),
}
# Medicaid: benefits continue during the plan appeal only when it is filed within 10 days.
MEDICAID_CONTINUATION_DAYS = 10
# What an appeal is decided within, to set the follow-up: 72 hours when expedited.
DECISION_DAYS, EXPEDITED_DECISION_DAYS = 30, 3
# When the appeal deadline is reminded (days before it).
REMINDER_DAYS = (14, 3)

DEFAULT_PARITY_TEXT = (
    "Applied behavior analysis for autism spectrum disorder is a mental health benefit. "
    "Under the federal Mental Health Parity and Addiction Equity Act (MHPAEA) and its "
    "regulations, a plan may not apply medical necessity criteria, network admission "
    "standards, or methods for setting out-of-network reimbursement to mental health benefits "
    "more restrictively than it applies comparable criteria to medical and surgical benefits. "
    "We ask that you confirm the criteria applied to this request are comparable, and provide "
    "the comparative analysis of these nonquantitative treatment limitations that the Act "
    "requires the plan to make available."
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def line_of_business(case: Case) -> str:
    return case.client.line_of_business


def levels_for(case: Case) -> tuple[str, ...]:
    return LEVELS.get(line_of_business(case), LEVELS[LineOfBusiness.COMMERCIAL])


def denial_date(case: Case) -> dt.date | None:
    """The day the denial was received (the day it was recorded, when no date was given)."""
    if case.denial_received_on:
        return case.denial_received_on
    return timezone.localdate(case.decided_at) if case.decided_at else None


def due_on(case: Case, level: str, basis: dt.date, policy: RatePolicy | None = None) -> dt.date:
    """The last day to file ``level``, counted from ``basis``."""
    line = line_of_business(case)
    # A line without its own rule for the level reads the commercial one (not as .get's
    # default: that is evaluated first, and there is no commercial State Fair Hearing).
    days, months = DEADLINES.get((line, level)) or DEADLINES[(LineOfBusiness.COMMERCIAL, level)]
    if policy is not None and policy.appeal_days and level == levels_for(case)[0]:
        days, months = policy.appeal_days, 0
    return add_months(basis, months) + dt.timedelta(days=days)


@dataclass(frozen=True)
class AppealOption:
    level: str
    label: str
    due_on: dt.date
    optional: bool

    @property
    def days_left(self) -> int:
        return (self.due_on - timezone.localdate()).days


def appealable(case: Case) -> bool:
    return case.denial_category not in NOT_APPEALABLE


def current_appeals(case: Case, appeals: list[Appeal]) -> list[Appeal]:
    """The appeals of the case's latest denial: a case denied again after an overturn (an
    offer, then no agreement) appeals the new denial from its first level."""
    return [a for a in appeals if a.denied_at == case.decided_at]


def appeal_options(
    case: Case,
    appeals: list[Appeal] | None = None,
    policy: RatePolicy | None = None,
    *,
    today: dt.date | None = None,
) -> list[AppealOption]:
    """What may be filed next, with each level's deadline: the first level after a denial;
    after a level is upheld, the levels after it (an optional one, unless its deadline has
    passed, and the one after it). Nothing while an appeal is pending, once a level was
    overturned or withdrawn, or for a denial that is not appealable."""
    if not appealable(case):
        return []
    appeals = current_appeals(case, list(case.appeals.all()) if appeals is None else appeals)
    today = today or timezone.localdate()
    if any(a.outcome != AppealOutcome.UPHELD for a in appeals):
        return []
    levels = levels_for(case)
    used = {a.level for a in appeals}
    if appeals:
        last = max(appeals, key=lambda a: (a.decided_on or a.filed_on, a.pk or 0))
        basis = last.decided_on
        start = levels.index(last.level) + 1 if last.level in levels else len(levels)
    else:
        basis, start = denial_date(case), 0
    if basis is None:
        return []
    options = []
    for level in levels[start:]:
        due = due_on(case, level, basis, policy)
        if level in used or (level in OPTIONAL_LEVELS and due < today):
            continue  # a lapsed optional level is gone: the next one is what remains
        options.append(
            AppealOption(
                level=level,
                label=str(AppealLevel(level).label),
                due_on=due,
                optional=level in OPTIONAL_LEVELS,
            )
        )
        if level not in OPTIONAL_LEVELS:
            break
    return options


def appeal_deadline(
    case: Case, appeals: list[Appeal] | None = None, policy: RatePolicy | None = None
) -> dt.date | None:
    """The nearest deadline of a denied case (None when nothing may be filed). Pass the
    case's policy (``case_policy``): its ``appeal_days`` moves the first level's deadline."""
    if case.status != CaseStatus.DENIED:
        return None
    options = appeal_options(case, appeals, policy)
    return min((o.due_on for o in options), default=None)


@dataclass(frozen=True)
class AppealState:
    """What a case's page and detail show of its appeals: whether the denial may be
    appealed at all (a denied case whose category is appealable), what may be filed next
    and the nearest deadline."""

    appealable: bool
    options: list[AppealOption]
    deadline: dt.date | None


def appeal_state(case: Case) -> AppealState:
    """The appeal state of ``case``: no query unless it is denied; then its appeals (unless
    prefetched) and its policy."""
    if case.status != CaseStatus.DENIED:
        return AppealState(appealable=False, options=[], deadline=None)
    options = appeal_options(case, list(case.appeals.all()), case_policy(case))
    return AppealState(
        appealable=appealable(case),
        options=options,
        deadline=min((o.due_on for o in options), default=None),
    )


def appeals_for(case: Case) -> QuerySet[Appeal]:
    """The case's appeals, oldest first (the tenant door is the case: ``get_case_for``)."""
    return case.appeals.order_by("filed_on", "id")


def appeal_warnings(
    case: Case, *, level: str, filed_on: dt.date, due: dt.date | None, has_representative: bool
) -> list[Check]:
    """What to know before (or on) filing: late, no authorized representative form on file
    (the member owns the appeal; Medicaid needs the enrollee's written consent), and
    Medicaid's continuation of benefits."""
    checks = []
    if due is not None and filed_on > due:
        checks.append(
            warning(
                "appeal_late",
                False,
                f"Filed {filed_on.isoformat()}, after the deadline of {due.isoformat()}. The "
                "insurer may refuse it as late; say why in the letter (good cause).",
            )
        )
    if not has_representative:
        kind = AttachmentKind.AUTHORIZED_REPRESENTATIVE.label
        checks.append(
            warning(
                "authorized_representative_missing",
                False,
                f"No {kind.lower()} is on file. The member owns the appeal: attach their "
                "signed designation of the practice"
                + (
                    " (Medicaid requires the enrollee's written consent)."
                    if line_of_business(case) == LineOfBusiness.MEDICAID
                    else "."
                ),
            )
        )
    if line_of_business(case) == LineOfBusiness.MEDICAID and level == L.INTERNAL_1:
        received = denial_date(case)
        if received is not None:
            by = received + dt.timedelta(days=MEDICAID_CONTINUATION_DAYS)
            checks.append(
                warning(
                    "continuation_of_benefits",
                    filed_on <= by,
                    f"Benefits continue during a Medicaid appeal only when it is filed within "
                    f"{MEDICAID_CONTINUATION_DAYS} days of the denial (by {by.isoformat()}) "
                    "and the member asks for continuation.",
                )
            )
    return checks


@dataclass(frozen=True)
class Escalation:
    """Where a denial that cannot be appealed (the insurer will not contract) is escalated."""

    to: str
    detail: str


def escalation_contacts(case: Case) -> list[Escalation]:
    line = line_of_business(case)
    state = case.client.state or "the member's state"
    if line == LineOfBusiness.MEDICAID:
        return [
            Escalation(
                f"The {state} Medicaid agency",
                "A managed care plan must arrange out-of-network care when its network cannot "
                "provide it (42 CFR 438.206). File a complaint about network adequacy.",
            )
        ]
    if line == LineOfBusiness.TRICARE:
        return [
            Escalation(
                "The TRICARE regional contractor, then the Defense Health Agency",
                "Ask for a network adequacy review and a non-network referral.",
            )
        ]
    return [
        Escalation(
            f"The {state} department of insurance",
            "For fully insured plans: a complaint about network adequacy (the plan must "
            "provide access to covered care).",
        ),
        Escalation(
            "U.S. Department of Labor, Employee Benefits Security Administration "
            "(askebsa.dol.gov, 1-866-444-3272)",
            "For self-funded employer plans under ERISA, which states do not regulate.",
        ),
    ]


def parity_text(case: Case) -> str:
    """The mental health parity paragraph of an appeal letter; none for TRICARE, to which the
    federal parity act does not apply."""
    if line_of_business(case) == LineOfBusiness.TRICARE:
        return ""
    return case.practice.appeal_parity_text.strip() or DEFAULT_PARITY_TEXT
