"""Renewal: a new draft that carries a case on for another period, with the terms agreed for
the one it renews (``cases.renewal_terms``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from cases.models import Case, CaseAction, CaseStatus, RequestedService
from cases.renewal_terms import renewal_terms
from core.exceptions import conflict

from .case import check_transition, lock_case, record_event
from .reference import check_insurer_open

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def case_renew(*, case_id: int, actor: User) -> Case:
    """A new draft for the same client, provider and insurer, linked to this case. With an
    agreement it requests the agreed codes, units and rates and names the authorization it
    renews with the sessions and units used of it; without one it copies the request."""
    case = lock_case(case_id)
    check_transition(case, CaseAction.RENEW)
    check_insurer_open(case.insurer)
    existing = case.renewals.exclude(status=CaseStatus.WITHDRAWN).first()
    if existing:
        raise conflict(
            "already_renewed",
            f"This case already has a renewal (case #{existing.pk}); work on that one.",
        )
    terms = renewal_terms(case)
    new = Case(
        practice_id=case.practice_id,
        client_id=case.client_id,
        provider_id=case.provider_id,
        insurer_id=case.insurer_id,
        reason=case.reason,
        initiated_by=case.initiated_by,
        service_type=case.service_type,
        clinical_justification=case.clinical_justification,
        treatment_started_on=terms.treatment_started_on,
        coverage_change_on=terms.coverage_change_on,
        sessions_remaining=terms.sessions_remaining,
        sessions_requested=terms.sessions_requested,
        requested_start=terms.requested_start,
        prior_authorization_number=terms.prior_authorization_number,
        prior_sessions_authorized=terms.prior_sessions_authorized,
        prior_sessions_used=terms.prior_sessions_used,
        assigned_to_id=case.assigned_to_id,
        renewal_of=case,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    new.save()
    RequestedService.objects.bulk_create(
        [
            RequestedService(
                case=new,
                billing_code_id=line.billing_code_id,
                modifier=line.modifier,
                units=line.units,
                unit_period=line.unit_period,
                requested_rate=line.requested_rate,
                prior_units_authorized=line.prior_units_authorized,
                prior_units_used=line.prior_units_used,
                units_remaining=line.units_remaining,
            )
            for line in terms.lines
        ]
    )
    message = f"Created as the renewal of case #{case.pk}"
    if terms.prior_authorization_number:
        message += f" (authorization {terms.prior_authorization_number})"
    message += ", with the agreed codes, units and rates." if terms.agreed else "."
    record_event(
        new,
        actor,
        "created",
        message,
        {"renewal_of": case.pk, "agreed_terms": terms.agreed is not None},
    )
    record_event(case, actor, "renewed", f"Renewal started as case #{new.pk}.", {"renewal": new.pk})
    return new
