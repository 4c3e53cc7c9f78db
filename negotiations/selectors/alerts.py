"""Reads of the usage alerts: which conditions an agreement meets today, who hears of them, and
a notice's in-app wording.

The conditions, per agreement line (a code with its modifier):
- ``units_high``: 80% of its units used; ``units_full``: 100%; ``over_authorized``: past them.
  A line notices the highest it has reached (one notice, not three, for a jump past them).
  A per-week or per-month cap is checked within its calendar period (Monday to Sunday, or the
  calendar month): units never roll over from one period to the next, and the notice's key
  names the period's first day, so the next period is a new condition.
- ``under_use``: below half of the agreement's units with a quarter of the agreement or less
  left (payers cut hours at re-authorization when they were not used).
And per agreement: ``sessions_low`` (3 or fewer sessions left) and ``ending_soon`` (it ends
within 30 days).

Email wording (``message``) names the case number only; the in-app wording adds the client's
initials, read with the case (an access-logged read)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cases.models import Case, CaseStatus, Membership, UnitPeriod
from cases.permissions import roles_for

from .. import pricing
from ..models.agreements import Agreement, AgreementLine
from ..models.reminders import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The kinds a usage alert is (the dashboard's "Utilization alerts" read these).
USAGE_KINDS = ("units_high", "units_full", "over_authorized", "under_use", "sessions_low")
ENDING_DAYS = 30
SESSIONS_LOW = 3
HIGH_PERCENT = Decimal(80)
UNDER_USE_PERCENT = Decimal(50)
UNDER_USE_TIME_LEFT = Decimal("0.25")  # a quarter of the agreement's days


@dataclass(frozen=True)
class Condition:
    """One condition met: the notice's kind, its key (once per key and user), the email-safe
    message and the in-app wording's data."""

    kind: str
    key: str
    message: str
    detail: dict[str, Any]


def agreement_to_evaluate(case_id: int, today: dt.date) -> Agreement | None:
    """The agreement of an approved case that has not ended, with its lines and use."""
    return (
        Agreement.objects.filter(
            case_id=case_id, case__status=CaseStatus.APPROVED, end_date__gte=today
        )
        .select_related("case__assigned_to", "case__created_by")
        .prefetch_related("lines__billing_code", "utilization")
        .first()
    )


@dataclass
class Audience:
    """Who of a practice may hear of its alerts: its billing managers (the ``reports`` role and
    above) and the ids of all its active members."""

    billing: list[User]
    member_ids: set[int]


def alert_audiences(practice_ids: Iterable[int]) -> dict[int, Audience]:
    """Per practice, its active members, in one query."""
    found: dict[int, Audience] = defaultdict(lambda: Audience([], set()))
    members = (
        Membership.objects.filter(
            practice_id__in=set(practice_ids), practice__is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    )
    billing_roles = set(roles_for("reports"))
    for membership in members:
        audience = found[membership.practice_id]
        audience.member_ids.add(membership.user_id)
        if membership.role in billing_roles:
            audience.billing.append(membership.user)
    return found


def alert_recipients(case: Case, audience: Audience) -> list[User]:
    """The practice's billing managers and the case's assignee (else its creator), once each;
    an owner who has left the practice hears nothing of its cases."""
    owner = case.assigned_to or case.created_by
    people = list(audience.billing)
    if owner is not None and owner.pk in audience.member_ids:
        people.append(owner)
    return list({user.pk: user for user in people}.values())


def calendar_period(unit_period: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The calendar week (Monday to Sunday) or month holding ``day``; None for a total."""
    if unit_period == UnitPeriod.PER_WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if unit_period == UnitPeriod.PER_MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return None


def _label(line: AgreementLine) -> str:
    code = line.billing_code.code
    return f"{code}-{line.modifier}" if line.modifier else code


def _line_detail(line: AgreementLine, used: int, authorized: int, condition: str) -> dict[str, Any]:
    percent = pricing.percent_of(Decimal(used), Decimal(authorized)) if authorized else None
    return {
        "code": _label(line),
        "description": line.billing_code.short_description,
        "used": used,
        "authorized": authorized,
        "percent": str(percent) if percent is not None else None,
        "period": line.unit_period,
        "condition": condition,
    }


def _cap_condition(
    case_id: int, line: AgreementLine, used: int, authorized: int, period: dt.date | None
) -> Condition | None:
    """80%, 100% or past the units (the highest reached) of a line, in a period or in all (a
    line of no units is past them with the first one used)."""
    if used <= 0:
        return None
    if used > authorized:
        kind, tag, words = "over_authorized", "over", "is past its authorized units"
    elif used >= authorized:
        kind, tag, words = "units_full", "units100", "has used 100% of its authorized units"
    elif Decimal(used) * 100 >= HIGH_PERCENT * authorized:
        kind, tag, words = "units_high", "units80", "has used 80% of its authorized units"
    else:
        return None
    detail = _line_detail(line, used, authorized, kind)
    key, when = f"{tag}:{line.pk}", ""
    if period is not None:
        key += f":{period.isoformat()}"
        detail["period_start"] = period.isoformat()
        noun = "week" if line.unit_period == UnitPeriod.PER_WEEK else "month"
        when = f" for the {noun} of {period.isoformat()}"
    return Condition(kind, key, f"SCA case #{case_id}: {_label(line)} {words}{when}.", detail)


def alert_conditions(
    agreement: Agreement, today: dt.date, *, service_date: dt.date | None = None
) -> list[Condition]:
    """Every condition the agreement meets on ``today``, from its prefetched lines and use;
    ``service_date``: the day of use just recorded, whose week or month is checked too."""
    case_id = agreement.case_id
    entries = list(agreement.utilization.all())
    by_line: dict[tuple[int, str], list[tuple[dt.date, int]]] = defaultdict(list)
    for e in entries:
        by_line[(e.billing_code_id, e.modifier)].append((e.service_date, e.units))
    found: list[Condition] = []
    days = (agreement.end_date - agreement.start_date).days + 1
    days_left = (agreement.end_date - today).days + 1
    for line in agreement.lines.all():
        rows = by_line.get((line.billing_code_id, line.modifier), [])
        used_all = sum(units for _, units in rows)
        total = int(
            pricing.period_units(
                line.units_authorized, line.unit_period, agreement.start_date, agreement.end_date
            ).to_integral_value()
        )
        if line.unit_period == UnitPeriod.TOTAL:
            cap = _cap_condition(case_id, line, used_all, total, None)
            if cap is not None:
                found.append(cap)
        else:
            # The period of the newest service date, today's, and that of the use just
            # recorded (it may be back-dated into an earlier period). Earlier periods were
            # checked when their use was recorded; the daily run does not revisit them.
            days_seen = {max((d for d, _ in rows), default=today), today}
            if service_date is not None:
                days_seen.add(service_date)
            starts = {}
            for day in days_seen:
                bounds = calendar_period(line.unit_period, day)
                assert bounds is not None  # a per-week or per-month line
                starts[bounds[0]] = bounds[1]
            for start, end in sorted(starts.items()):
                used = sum(units for d, units in rows if start <= d <= end)
                cap = _cap_condition(case_id, line, used, line.units_authorized, start)
                if cap is not None:
                    found.append(cap)
        if (
            total > 0
            and Decimal(days_left) <= UNDER_USE_TIME_LEFT * days
            and Decimal(used_all) * 100 < UNDER_USE_PERCENT * total
        ):
            detail = _line_detail(line, used_all, total, "under_use")
            detail["days_left"] = days_left
            found.append(
                Condition(
                    "under_use",
                    f"under_use:{line.pk}",
                    f"SCA case #{case_id}: {_label(line)} has used under half of its authorized "
                    "units with a quarter of the agreement left.",
                    detail,
                )
            )
    if agreement.sessions_authorized is not None:
        left = max(agreement.sessions_authorized - len({e.service_date for e in entries}), 0)
        if left <= SESSIONS_LOW:
            found.append(
                Condition(
                    "sessions_low",
                    f"sessions_low:{agreement.pk}",
                    f"SCA case #{case_id}: {left} session(s) left; start the renewal.",
                    {
                        "condition": "sessions_low",
                        "left": left,
                        "authorized": agreement.sessions_authorized,
                    },
                )
            )
    if agreement.end_date <= today + dt.timedelta(days=ENDING_DAYS):
        ends = agreement.end_date.isoformat()
        found.append(
            Condition(
                "ending_soon",
                f"ending:{agreement.pk}:{ends}",
                f"SCA case #{case_id}: the agreement ends {ends}; start the renewal.",
                {"condition": "ending_soon", "end_date": ends},
            )
        )
    return found


# ----------------------------------------------------------------------------- wording


def initials(case: Case) -> str:
    """ "J.M.": the client's initials (the case's client must be loaded: a logged read)."""
    client = case.client
    return "".join(f"{name[:1].upper()}." for name in (client.first_name, client.last_name) if name)


def _units(detail: dict[str, Any]) -> str:
    used, authorized = detail.get("used"), detail.get("authorized")
    percent = detail.get("percent")
    text = f"{used:,} of {authorized:,} units"
    if percent is not None:
        text += f" ({Decimal(percent).normalize():f}%)"
    start = detail.get("period_start")
    if start:
        noun = "week" if detail.get("period") == UnitPeriod.PER_WEEK else "month"
        text += f" in the {noun} of {dt.date.fromisoformat(start):%b} {int(start[8:])}"
    return text


def notice_text(notification: Notification) -> str:
    """What a notice says in the app, beside the client's initials and the case number: the
    code with its description and the units for a usage alert; otherwise its message."""
    detail = notification.detail or {}
    condition = detail.get("condition")
    code = f"{detail.get('code', '')} {detail.get('description', '')}".strip()
    if condition in ("units_high", "units_full"):
        return f"{code}: {_units(detail)}"
    if condition == "over_authorized":
        return f"{code}: {_units(detail)}, past the authorization"
    if condition == "under_use":
        return (
            f"{code}: {_units(detail)} with {detail.get('days_left')} day(s) left; under half used"
        )
    if condition == "sessions_low":
        return (
            f"{detail.get('left')} of {detail.get('authorized')} sessions left; start the renewal"
        )
    if condition == "ending_soon":
        end = dt.date.fromisoformat(detail["end_date"])
        return f"the agreement ends {end:%b} {end.day}, {end.year}; start the renewal"
    return notification.message


@dataclass(frozen=True)
class NoticeLine:
    """A notice as the app shows it (templates/negotiations/alert_line.html)."""

    pk: int
    case_id: int
    kind: str
    initials: str
    text: str
    read: bool


def notice_lines(notices: Iterable[Notification]) -> list[NoticeLine]:
    """The notices with their in-app wording (each with ``case__client`` loaded)."""
    return [
        NoticeLine(n.pk, n.case_id, n.kind, initials(n.case), notice_text(n), n.read_at is not None)
        for n in notices
    ]
