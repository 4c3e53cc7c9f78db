"""Readiness: every submission check of a case, as of a day, errors and warnings."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass

from django.utils import timezone

from billing_codes.models import code_label
from cases.models import Case, InitiatedBy, RatePolicy, Reason, RequestedService, ServiceType

from .reference import case_policy

# Protocol numbers used when the insurer has no policy in force (issue 3).
DEFAULT_MIN_NETWORK_ATTEMPTS = 3


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    severity: str  # "error" blocks submission, "warning" does not
    detail: str


@dataclass
class Readiness:
    checks: list[Check]
    policy: RatePolicy | None

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks if c.severity == "error")

    @property
    def failing_errors(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "error" and not c.ok]

    def as_dict(self) -> dict[str, object]:
        return {"ready": self.ready, "checks": [asdict(c) for c in self.checks]}


def _error(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="error", detail=detail)


def _warning(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="warning", detail=detail)


def _label(service: RequestedService) -> str:
    return code_label(service.billing_code.code, service.modifier)


class _Unset(enum.Enum):
    UNSET = enum.auto()  # the policy was not looked up by the caller


def case_readiness(
    case: Case, *, on: dt.date | None = None, policy: RatePolicy | None | _Unset = _Unset.UNSET
) -> Readiness:
    """Every submission check for ``case`` as of ``on`` (default: today), errors and warnings.

    The insurer's policy in force that day supplies the protocol numbers; without one
    the defaults apply (3 attempts, consent when the practice initiates, pre-treatment
    for ABA). Runs a fixed number of queries whatever the case holds.
    """
    on = on or timezone.localdate()
    if isinstance(policy, _Unset):
        policy = case_policy(case, on=on)
    prefetched = getattr(case, "_prefetched_objects_cache", {})
    services = list(
        case.services.all()
        if "services" in prefetched
        else case.services.select_related("billing_code")
    )
    searches = list(case.network_searches.all())
    consents = list(case.consents.all())
    checks: list[Check] = []

    checks.append(
        _error(
            "provider_missing",
            case.provider_id is not None,
            "A treating provider is named."
            if case.provider_id
            else "Choose the provider who will treat the client; the insurer contracts with them.",
        )
    )
    checks.append(
        _error(
            "justification_missing",
            bool(case.clinical_justification.strip()),
            "The clinical justification is written."
            if case.clinical_justification.strip()
            else "Write the clinical justification: why this client needs this provider.",
        )
    )
    checks.append(
        _error(
            "no_services",
            bool(services),
            f"{len(services)} billing code(s) requested."
            if services
            else "Add at least one billing code with its units to request.",
        )
    )

    attempts_needed = policy.min_network_attempts if policy else DEFAULT_MIN_NETWORK_ATTEMPTS
    if case.reason == Reason.NETWORK_INADEQUACY:
        tried = sum(1 for s in searches if s.unsuccessful)
        ok = tried >= attempts_needed
        detail = (
            f"{tried} unsuccessful in-network attempts documented ({attempts_needed} needed)."
            if ok
            else f"Document at least {attempts_needed} unsuccessful attempts to find an "
            f"in-network provider; {tried} so far."
        )
    else:
        ok, detail = True, "Not needed: the reason is not network inadequacy."
    checks.append(_error("network_search_incomplete", ok, detail))

    pre_treatment = case.service_type == ServiceType.ABA or bool(
        policy and policy.requires_pre_treatment
    )
    if pre_treatment:
        if case.planned_start_date is None:
            ok, detail = False, "Enter the planned treatment start date (it must be after today)."
        elif case.planned_start_date <= on:
            ok = False
            detail = (
                f"Treatment is planned to start {case.planned_start_date.isoformat()}; the SCA "
                "must be requested before treatment starts. Move the start date after today."
            )
        else:
            ok, detail = True, "Treatment starts after the submission date."
    else:
        ok, detail = True, "Not needed: the insurer does not require a pre-treatment request."
    checks.append(_error("treatment_already_started", ok, detail))

    needs_consent = case.initiated_by == InitiatedBy.PRACTICE or bool(
        policy and policy.requires_consent
    )
    if needs_consent:
        signed = [c for c in consents if c.acknowledges_costs and c.signed_on <= on]
        ok = bool(signed)
        detail = (
            "A signed consent acknowledging possible costs is on file."
            if ok
            else "Record the client's or guardian's signed consent, including that they "
            "acknowledge the SCA is no guarantee of payment and costs may apply."
        )
    else:
        ok, detail = True, "Not needed: the patient initiated and the insurer does not require it."
    checks.append(_error("consent_missing", ok, detail))

    if case.reason == Reason.PROVIDER_TRANSITION:
        has_remaining = case.sessions_remaining is not None
        checks.append(
            _error(
                "sessions_remaining_required",
                has_remaining,
                f"{case.sessions_remaining} sessions remaining."
                if has_remaining
                else "Enter the number of sessions remaining in the transition.",
            )
        )
        exceeds = (
            case.sessions_remaining is not None
            and case.sessions_requested is not None
            and case.sessions_requested > case.sessions_remaining
        )
        checks.append(
            _error(
                "sessions_exceed_remaining",
                not exceeds,
                f"Request {case.sessions_requested} sessions at most {case.sessions_remaining}: "
                "a transition covers only the sessions remaining."
                if exceeds
                else "Sessions requested are within the sessions remaining.",
            )
        )

    if case.service_type == ServiceType.ABA:
        not_aba = [_label(s) for s in services if not s.billing_code.is_aba]
        checks.append(
            _error(
                "code_not_aba",
                not not_aba,
                f"Not ABA codes: {', '.join(not_aba)}. Use ABA codes for an ABA case."
                if not_aba
                else "Every code is an ABA code.",
            )
        )
    inactive = [_label(s) for s in services if not s.billing_code.is_active]
    checks.append(
        _error(
            "code_inactive",
            not inactive,
            f"Retired codes: {', '.join(inactive)}. Replace them with current codes."
            if inactive
            else "Every code is active.",
        )
    )

    start, end = case.requested_start, case.requested_end
    if start is None or end is None:
        ok, detail = False, "Enter the requested start and end dates of the agreement."
    elif end <= start:
        ok, detail = False, "The requested period must end after it starts."
    else:
        ok, detail = True, f"Requested period {start.isoformat()} to {end.isoformat()}."
    checks.append(_error("period_invalid", ok, detail))
    max_days = policy.max_agreement_days if policy else None
    if ok and max_days and start is not None and end is not None:
        days = (end - start).days + 1
        too_long = days > max_days
        checks.append(
            _error(
                "period_too_long",
                not too_long,
                f"The period is {days} days; {case.insurer.name} agrees to {max_days} at most."
                if too_long
                else f"Within the insurer's longest agreement ({max_days} days).",
            )
        )

    checks.append(
        _warning(
            "no_policy_in_force",
            policy is not None,
            f"Policy in force: {policy.get_kind_display()}."
            if policy
            else "This insurer has no rate policy on file for today; defaults are used "
            "(3 network attempts, consent when the practice initiates). Ask an administrator.",
        )
    )
    missing_rate = [_label(s) for s in services if s.requested_rate is None]
    checks.append(
        _warning(
            "rate_missing",
            not missing_rate,
            f"No requested rate for {', '.join(missing_rate)}; the agreement must state a rate."
            if missing_rate
            else "Every code has a requested rate.",
        )
    )
    below = []
    if policy:
        network = {
            (r.billing_code_id, r.modifier): r.highest_network_rate for r in policy.rates.all()
        }
        for s in services:
            rate = network.get(
                (s.billing_code_id, s.modifier), network.get((s.billing_code_id, ""))
            )
            if s.requested_rate is not None and rate is not None and s.requested_rate < rate:
                below.append(f"{_label(s)} ({s.requested_rate} < {rate})")
    checks.append(
        _warning(
            "rate_below_network",
            not below,
            "Requested below the insurer's highest network rate: " + ", ".join(below)
            if below
            else "No requested rate is below the insurer's highest network rate.",
        )
    )
    return Readiness(checks=checks, policy=policy)
