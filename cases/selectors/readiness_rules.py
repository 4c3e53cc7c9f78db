"""The readiness rules that turn on the reason and the insurer's policy (DESIGN.md rules 3, 5
and 9): care under way against new treatment, what remains of care under way, the requested
period's earliest start, the requested rates and what a renewal shows. Each takes what
``case_readiness`` loaded and runs no query; what a packet encloses is checked in
``readiness_documents``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from billing_codes.models import code_label
from cases.models import (
    AttachmentKind,
    Case,
    NetworkSearch,
    PolicyKind,
    RatePolicy,
    Reason,
    RequestedService,
    UnitPeriod,
)
from cases.rates import DAYS_PER_WEEK, calendar_months, period_units

# Protocol numbers used when the insurer has no policy in force (the model's defaults).
DEFAULT_MIN_NETWORK_ATTEMPTS = 3
DEFAULT_REQUIRES_PRE_TREATMENT = True
DEFAULT_RETRO_DAYS = 0
DEFAULT_CONTINUITY_DAYS = 90
# The reasons that continue care already under way: they need the day treatment began.
CARE_REASONS = frozenset({Reason.CONTINUITY_OF_CARE, Reason.PROVIDER_TRANSITION})


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    severity: str  # "error" blocks submission, "warning" does not
    detail: str


def error(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="error", detail=detail)


def warning(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="warning", detail=detail)


def label(service: RequestedService) -> str:
    return code_label(service.billing_code.code, service.modifier)


def care_under_way(case: Case, on: dt.date) -> bool:
    """A case whose treatment began on or before ``on``; anything else is new treatment."""
    return case.treatment_started_on is not None and case.treatment_started_on <= on


def limited_to_what_remains(case: Case, on: dt.date) -> bool:
    return care_under_way(case, on) or case.reason in CARE_REASONS


# ----------------------------------------------------------------------------- rule 3


def treatment_checks(case: Case, policy: RatePolicy | None, on: dt.date) -> list[Check]:
    """``treatment_start_missing`` (continuity and transition need the day care began) and
    ``treatment_already_started`` (new treatment is requested before it starts when the
    policy requires it; care under way never is)."""
    started = case.treatment_started_on
    under_way = care_under_way(case, on)
    reason = case.get_reason_display().lower()
    if case.reason in CARE_REASONS:
        ok = under_way
        if started is None:
            detail = f"Enter the day treatment began: a {reason} request continues care under way."
        elif not under_way:
            detail = (
                f"Treatment is entered as beginning {started.isoformat()}, after today: a "
                f"{reason} request continues care already under way. Enter the day it began."
            )
        else:
            detail = f"In treatment since {started.isoformat()}."
    elif under_way:
        ok, detail = True, f"In treatment since {started}: the request continues care under way."
    else:
        ok, detail = True, "Not needed: new treatment (no treatment start entered)."
    checks = [error("treatment_start_missing", ok, detail)]

    required = policy.requires_pre_treatment if policy else DEFAULT_REQUIRES_PRE_TREATMENT
    planned = case.planned_start_date
    if under_way:
        ok, detail = True, "Care under way: the request covers what remains, after treatment began."
    elif case.reason in CARE_REASONS:
        ok, detail = True, "Not needed: the request continues care under way."
    elif not required:
        ok, detail = (
            True,
            "Not needed: the insurer's policy accepts a request once treatment began.",
        )
    elif planned is None:
        ok, detail = False, "Enter the planned treatment start date (it must be after today)."
    elif planned <= on:
        ok = False
        whose = "the insurer's policy" if policy else "without a policy on file, the default"
        detail = (
            f"Treatment is planned to start {planned.isoformat()}; {whose} wants new treatment "
            "requested before it starts. Move the start date after today, or, if treatment has "
            "already begun, enter the day it began instead: care under way is not new treatment."
        )
    else:
        ok, detail = True, "New treatment starts after the submission date."
    checks.append(error("treatment_already_started", ok, detail))
    return checks


# ----------------------------------------------------------------------------- rule 5


def total_units(
    service: RequestedService, start: dt.date | None, end: dt.date | None
) -> tuple[int | None, str]:
    """The units a service asks for over the requested period, and how they were counted
    (units per week or month times the period's weeks or calendar months, rounded up)."""
    if service.unit_period == UnitPeriod.TOTAL:
        return service.units, ""
    if start is None or end is None or end < start:
        return None, ""
    days = (end - start).days + 1
    if service.unit_period == UnitPeriod.PER_WEEK:
        count, unit = Decimal(days) / DAYS_PER_WEEK, "weeks"
    else:
        count, unit = calendar_months(start, end), "months"
    total = math.ceil(period_units(service.units, service.unit_period, start, end))
    per = service.get_unit_period_display().lower()
    return total, f"{service.units} {per} over {float(count):.1f} {unit} ({days} days) is {total}"


def remaining_checks(case: Case, services: Sequence[RequestedService], on: dt.date) -> list[Check]:
    """Care under way asks for what remains: the sessions remaining or the units remaining per
    code (one is required), and no more than that."""
    if not limited_to_what_remains(case, on):
        return []
    remaining = case.sessions_remaining
    known = [s for s in services if s.units_remaining is not None]
    without = [label(s) for s in services if s.units_remaining is None]
    ok = remaining is not None or bool(services and not without)
    if ok:
        said = [f"{remaining} sessions remaining"] if remaining is not None else []
        if known:
            said.append(
                "units remaining " + ", ".join(f"{label(s)} {s.units_remaining}" for s in known)
            )
        detail = "; ".join(said) + "."
    else:
        lacking = f" (none given for {', '.join(without)})" if known else ""
        detail = (
            "Enter what remains of the care under way: the sessions remaining, or the units "
            f"remaining per code from the prior authorization{lacking}."
        )
    checks = [error("remaining_missing", ok, detail)]

    requested = case.sessions_requested
    exceeds = remaining is not None and requested is not None and requested > remaining
    checks.append(
        error(
            "sessions_exceed_remaining",
            not exceeds,
            f"Request {requested} sessions at most {remaining}: care under way covers only "
            "the sessions remaining."
            if exceeds
            else "Sessions requested are within the sessions remaining.",
        )
    )

    over, uncounted = [], []
    for s in known:
        total, how = total_units(s, case.requested_start, case.requested_end)
        if total is None:
            uncounted.append(label(s))
        elif total > (s.units_remaining or 0):
            asked = f"{how} units" if how else f"{total} units"
            over.append(f"{label(s)}: {asked}, {s.units_remaining} remain")
    if over:
        detail = (
            "Requested above the units remaining: " + "; ".join(over) + ". Care under way covers "
            "only what remains (units per week or month count over the requested period)."
        )
    elif known:
        detail = "Units requested are within the units remaining per code"
        detail += f" (once the period is entered: {', '.join(uncounted)})." if uncounted else "."
    else:
        detail = "No units remaining entered per code."
    checks.append(error("units_exceed_remaining", not over, detail))
    return checks


# ----------------------------------------------------------------------------- the period


def period_start_check(case: Case, policy: RatePolicy | None, on: dt.date) -> Check | None:
    """``period_already_started``: new treatment starts today or later (or within the policy's
    ``retro_days``); care under way may start when coverage changed, no further back than the
    policy's ``continuity_days``. The detail names the earliest day allowed and why, so that
    the practice corrects the dates that are wrong and never enters a false one."""
    start = case.requested_start
    if start is None:
        return None  # period_invalid asks for it
    retro = policy.retro_days if policy else DEFAULT_RETRO_DAYS
    back = f", or up to {retro} days back as the insurer's policy allows" if retro else ""
    earliest = on - dt.timedelta(days=retro)
    changed = case.coverage_change_on
    if care_under_way(case, on):
        window = policy.continuity_days if policy else DEFAULT_CONTINUITY_DAYS
        floor = on - dt.timedelta(days=window)
        whose = "the insurer's policy" if policy else "without a policy on file, the default"
        if changed is None:
            why = (
                f"care under way starts today{back}; enter the day coverage changed or the "
                f"provider left the network to start from it (up to {window} days back)"
            )
        elif changed < floor:
            earliest = floor
            why = (
                f"coverage changed on {changed.isoformat()}, but {whose} reaches back "
                f"{window} days at most for care under way"
            )
        else:
            earliest = changed
            why = f"care under way is covered from the coverage change ({changed.isoformat()})"
    else:
        why = f"new treatment is requested from today on{back}"
    if start >= earliest:
        return error(
            "period_already_started",
            True,
            f"The period starts {start.isoformat()}, not before {earliest.isoformat()} ({why}).",
        )
    hint = (
        ""
        if care_under_way(case, on)
        else " If treatment began before, enter the day it began and the day coverage changed: "
        "care under way may reach back to the coverage change."
    )
    return error(
        "period_already_started",
        False,
        f"The period starts {start.isoformat()}; the earliest start allowed is "
        f"{earliest.isoformat()}: {why}. Move the start to {earliest.isoformat()} or later.{hint}",
    )


# ----------------------------------------------------------------------------- rates


def rate_check(services: Sequence[RequestedService], policy: RatePolicy | None) -> Check:
    """``rate_missing``: an error under a negotiable policy (the request states every rate);
    passed under a policy that sets the rate (the review shows why); a warning without one."""
    missing = [label(s) for s in services if s.requested_rate is None]
    if policy is None or policy.is_negotiable:
        check = error if policy else warning
        return check(
            "rate_missing",
            not missing,
            f"No requested rate for {', '.join(missing)}; "
            + ("the insurer negotiates, so the request states a rate for every code." if policy
               else "the agreement must state a rate.")
            if missing
            else "Every code has a requested rate.",
        )  # fmt: skip
    if policy.kind == PolicyKind.HIGHEST_NETWORK_RATE:
        sets = "its highest in-network rate"
    else:
        percent = format(policy.percent.normalize(), "f") if policy.percent else "a percent"
        sets = f"{percent}% of the {policy.get_reference_schedule_display()} rate"
    blank = f"; a blank rate is right for {', '.join(missing)}" if missing else ""
    return error("rate_missing", True, f"The insurer's policy sets the rate ({sets}){blank}.")


# ----------------------------------------------------------------------------- rule 9


def renewal_checks(
    case: Case,
    policy: RatePolicy | None,
    searches: Sequence[NetworkSearch],
    attached: set[str],
    renewed_submitted_on: dt.date | None,
) -> list[Check]:
    """A renewal (``renewal_of`` set) is re-authorized on progress: ``progress_report_missing``
    until a current progress report is attached. When the policy in force says a renewal
    documents a fresh search (``renewal_requires_searches``), a network-inadequacy renewal
    needs the policy's number of unsuccessful attempts dated after the renewed case was
    submitted (``network_search_stale``); earlier ones are what the insurer already read."""
    if case.renewal_of_id is None:
        return []
    has_report = AttachmentKind.PROGRESS_REPORT in attached
    checks = [
        error(
            "progress_report_missing",
            has_report,
            "A current progress report is attached."
            if has_report
            else "Attach a current progress report (kind: Progress report): insurers "
            "re-authorize on the progress made under the authorization this request renews.",
        )
    ]
    if not (policy and policy.renewal_requires_searches):
        ok, detail = True, "Not needed: the insurer's policy asks no fresh search of a renewal."
    elif case.reason != Reason.NETWORK_INADEQUACY:
        ok, detail = True, "Not needed: the reason is not network inadequacy."
    else:
        since = renewed_submitted_on
        fresh = sum(
            1 for s in searches if s.unsuccessful and (since is None or s.contacted_on > since)
        )
        needed = policy.min_network_attempts
        ok = fresh >= needed
        after = f" after {since.isoformat()}, when the renewed case was submitted" if since else ""
        detail = (
            f"{fresh} unsuccessful in-network attempts documented{after} ({needed} needed)."
            if ok
            else f"The insurer's policy wants a fresh in-network search for a renewal: document "
            f"at least {needed} unsuccessful attempts made{after}; {fresh} so far."
        )
    checks.append(error("network_search_stale", ok, detail))
    return checks
