"""Readiness: every submission check of a case, as of a day, errors and warnings. The rules
that turn on the reason and the insurer's policy are in ``readiness_rules``; those about the
attachments and provider documents a packet encloses in ``readiness_documents``."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass

from django.utils import timezone

from cases.models import (
    Case,
    InitiatedBy,
    ProviderDocument,
    RatePolicy,
    Reason,
    ServiceType,
)

from .readiness_documents import (
    attachment_check,
    current_attachment_kinds,
    provider_document_checks,
    provider_documents_for,
    renewed_submission_day,
)
from .readiness_rules import (
    DEFAULT_MIN_NETWORK_ATTEMPTS,
    Check,
    error,
    label,
    period_start_check,
    rate_check,
    remaining_checks,
    renewal_checks,
    treatment_checks,
    warning,
)
from .reference import case_policy


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


class _Unset(enum.Enum):
    UNSET = enum.auto()  # not looked up by the caller


def case_readiness(
    case: Case,
    *,
    on: dt.date | None = None,
    policy: RatePolicy | None | _Unset = _Unset.UNSET,
    provider_documents: list[ProviderDocument] | _Unset = _Unset.UNSET,
) -> Readiness:
    """Every submission check for ``case`` as of ``on`` (default: today), errors and warnings.

    The insurer's policy in force that day supplies the protocol numbers; without one the
    defaults apply (3 attempts, consent when the practice initiates, new treatment requested
    before it starts, 90 days back for care under way). Runs a fixed number of queries
    whatever the case holds: its parts, the policy, and its attachments and provider documents
    only when the policy names some or the case is a renewal, and the renewed case when the
    policy wants a renewal's search fresh (``readiness_documents.prefetch_for_readiness``
    loads them for many cases).
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
    required_attachments = list(policy.required_attachments) if policy else []
    required_documents = list(policy.required_provider_documents) if policy else []
    renewal = case.renewal_of_id is not None
    # A renewal needs its progress report, whatever the policy names.
    attached = current_attachment_kinds(case) if required_attachments or renewal else set()
    if isinstance(provider_documents, _Unset):
        provider_documents = (
            provider_documents_for([case], required_documents) if required_documents else []
        )
    checks: list[Check] = []

    checks.append(
        error(
            "provider_missing",
            case.provider_id is not None,
            "A treating provider is named."
            if case.provider_id
            else "Choose the provider who will treat the client; the insurer contracts with them.",
        )
    )
    checks.append(
        error(
            "justification_missing",
            bool(case.clinical_justification.strip()),
            "The clinical justification is written."
            if case.clinical_justification.strip()
            else "Write the clinical justification: why this client needs this provider.",
        )
    )
    checks.append(
        error(
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
    checks.append(error("network_search_incomplete", ok, detail))

    checks.extend(treatment_checks(case, policy, on))

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
    checks.append(error("consent_missing", ok, detail))

    checks.extend(remaining_checks(case, services, on))

    if case.service_type == ServiceType.ABA:
        not_aba = [label(s) for s in services if not s.billing_code.is_aba]
        checks.append(
            error(
                "code_not_aba",
                not not_aba,
                f"Not ABA codes: {', '.join(not_aba)}. Use ABA codes for an ABA case."
                if not_aba
                else "Every code is an ABA code.",
            )
        )
    inactive = [label(s) for s in services if not s.billing_code.is_active]
    checks.append(
        error(
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
    checks.append(error("period_invalid", ok, detail))
    max_days = policy.max_agreement_days if policy else None
    if ok and max_days and start is not None and end is not None:
        days = (end - start).days + 1
        too_long = days > max_days
        checks.append(
            error(
                "period_too_long",
                not too_long,
                f"The period is {days} days; {case.insurer.name} agrees to {max_days} at most."
                if too_long
                else f"Within the insurer's longest agreement ({max_days} days).",
            )
        )
    started = period_start_check(case, policy, on)
    if started is not None:
        checks.append(started)

    checks.append(attachment_check(required_attachments, attached))
    if renewal:
        checks.extend(
            renewal_checks(case, policy, searches, attached, renewed_submission_day(case, policy))
        )
    document_checks = provider_document_checks(required_documents, provider_documents, case, on)
    checks.extend(c for c in document_checks if c.severity == "error")

    checks.append(
        warning(
            "no_policy_in_force",
            policy is not None,
            f"Policy in force: {policy.get_kind_display()}."
            if policy
            else "This insurer has no rate policy on file for today; defaults are used "
            "(3 network attempts, consent when the practice initiates, new treatment requested "
            "before it starts, 90 days back for care under way). Ask an administrator.",
        )
    )
    checks.append(rate_check(services, policy))
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
                below.append(f"{label(s)} ({s.requested_rate} < {rate})")
    checks.append(
        warning(
            "rate_below_network",
            not below,
            "Requested below the insurer's highest network rate: " + ", ".join(below)
            if below
            else "No requested rate is below the insurer's highest network rate.",
        )
    )
    checks.extend(c for c in document_checks if c.severity == "warning")
    return Readiness(checks=checks, policy=policy)
