"""Renewal: a new draft that carries a case on for another period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from cases.models import Case, CaseAction, CaseStatus, RequestedService
from cases.selectors.case import sessions_still_remaining
from cases.selectors.readiness_rules import CARE_REASONS
from core.exceptions import conflict

from .case import check_transition, lock_case, record_event
from .reference import check_insurer_open

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def case_renew(*, case_id: int, actor: User) -> Case:
    """A new draft for the same client, provider and insurer, linked to this case."""
    case = lock_case(case_id)
    check_transition(case, CaseAction.RENEW)
    check_insurer_open(case.insurer)
    existing = case.renewals.exclude(status=CaseStatus.WITHDRAWN).first()
    if existing:
        raise conflict(
            "already_renewed",
            f"This case already has a renewal (case #{existing.pk}); work on that one.",
        )
    remaining = sessions_still_remaining(case)
    care_under_way = case.reason in CARE_REASONS
    new = Case(
        practice_id=case.practice_id,
        client_id=case.client_id,
        provider_id=case.provider_id,
        insurer_id=case.insurer_id,
        reason=case.reason,
        initiated_by=case.initiated_by,
        service_type=case.service_type,
        clinical_justification=case.clinical_justification,
        # Care under way stays under way: the renewal keeps when it began and why.
        treatment_started_on=case.treatment_started_on if care_under_way else None,
        coverage_change_on=case.coverage_change_on if care_under_way else None,
        sessions_remaining=remaining if case.reason == "provider_transition" else None,
        sessions_requested=remaining
        if case.reason == "provider_transition"
        else case.sessions_requested,
        requested_start=case.requested_end + dt.timedelta(days=1) if case.requested_end else None,
        assigned_to_id=case.assigned_to_id,
        renewal_of=case,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    new.save()
    RequestedService.objects.bulk_create(
        [
            RequestedService(
                case=new,
                billing_code_id=s.billing_code_id,
                modifier=s.modifier,
                units=s.units,
                unit_period=s.unit_period,
                requested_rate=s.requested_rate,
            )
            for s in case.services.all()
        ]
    )
    record_event(
        new,
        actor,
        "created",
        f"Created as the renewal of case #{case.pk}.",
        {"renewal_of": case.pk},
    )
    record_event(case, actor, "renewed", f"Renewal started as case #{new.pk}.", {"renewal": new.pk})
    return new
