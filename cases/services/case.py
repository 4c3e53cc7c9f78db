"""Every write to a case and its parts, and every status change (DESIGN.md section 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from billing_codes.models import BillingCode
from cases.models import (
    TRANSITIONS,
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Client,
    Consent,
    Insurer,
    Membership,
    NetworkSearch,
    Practice,
    Provider,
    RequestedService,
)
from cases.selectors import case_readiness
from cases.workspace import usual_rate
from sca_portal.exceptions import DomainError, conflict

from .common import apply_fields, clean_and_save
from .reference import check_insurer_open, validate_modifier

# Fields that describe the request: frozen once the case leaves draft.
DRAFT_FIELDS = [
    "client",
    "provider",
    "insurer",
    "reason",
    "initiated_by",
    "service_type",
    "planned_start_date",
    "requested_start",
    "requested_end",
    "sessions_requested",
    "sessions_remaining",
    "clinical_justification",
]
# Tracking fields: editable in any status (assignment, follow-ups, the insurer's numbers).
TRACKING_FIELDS = ["assigned_to", "follow_up_on", "insurer_reference", "authorization_number"]
LONG_TEXT_FIELDS = {"clinical_justification"}

SEARCH_FIELDS = [
    "provider_name",
    "provider_npi",
    "contacted_on",
    "method",
    "outcome",
    "wait_weeks",
    "distance_miles",
    "notes",
]
SERVICE_FIELDS = ["billing_code", "modifier", "units", "unit_period", "requested_rate"]
CONSENT_FIELDS = [
    "signer_name",
    "signer_relationship",
    "signed_on",
    "acknowledges_costs",
    "estimated_patient_cost",
    "method",
]

ALLOWED_UPLOADS = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
}


# ----------------------------------------------------------------------------- helpers


def record_event(case: Case, actor, kind: str, message: str, data: dict | None = None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        message=message,
        data=data or {},
    )


def _jsonable(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _changes_for_event(changed: dict[str, tuple]) -> dict:
    # Long free text is not copied into the timeline, only the fact that it changed.
    return {
        name: ["(edited)"] if name in LONG_TEXT_FIELDS else [_jsonable(old), _jsonable(new)]
        for name, (old, new) in changed.items()
    }


def lock_case(case_id: int) -> Case:
    return Case.objects.select_for_update().select_related("insurer").get(pk=case_id)


ACTION_PAST = {
    CaseAction.SUBMIT: "submitted",
    CaseAction.RECEIVE_OFFER: "given an offer",
    CaseAction.APPROVE: "approved",
    CaseAction.ACCEPT: "accepted",
    CaseAction.DENY: "denied",
    CaseAction.DECLINE: "declined",
    CaseAction.WITHDRAW: "withdrawn",
    CaseAction.EXPIRE: "expired",
    CaseAction.RENEW: "renewed",
}


def check_transition(case: Case, action: str) -> str | None:
    """The status ``action`` leads to from the case's status, or 409 invalid_transition."""
    allowed_from, target = TRANSITIONS[action]
    if case.status not in allowed_from:
        raise conflict(
            "invalid_transition",
            f"A case that is {case.get_status_display().lower()} cannot be {ACTION_PAST[action]}.",
        )
    return target


def _require_draft(case: Case, what: str) -> None:
    if not case.is_draft:
        raise conflict(
            "case_not_draft",
            f"{what} can only change while the case is a draft; this case is "
            f"{case.get_status_display().lower()}.",
        )


def _check_same_practice(practice_id: int, **objs) -> None:
    errors = {}
    for name, obj in objs.items():
        if obj is not None and getattr(obj, "practice_id", practice_id) != practice_id:
            errors[name] = "Not found in this practice."
    if errors:
        raise ValidationError(errors)


def _check_assignee(practice_id: int, assignee) -> None:
    if assignee is None:
        return
    if not Membership.objects.filter(practice_id=practice_id, user=assignee).exists():
        raise ValidationError({"assigned_to": "Assign the case to a member of its practice."})


def case_bump(case: Case, fields: list[str]) -> None:
    """Save ``fields`` of a changed case with its version one up: every write to a case goes
    through here, so a client holding the old version gets 409 (DESIGN rule 2)."""
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


# ----------------------------------------------------------------------------- the case


@transaction.atomic
def case_create(
    *,
    actor,
    practice: Practice,
    client: Client,
    insurer: Insurer,
    reason: str,
    provider: Provider | None = None,
    **data,
) -> Case:
    _check_same_practice(practice.pk, client=client, provider=provider)
    _check_assignee(practice.pk, data.get("assigned_to"))
    check_insurer_open(insurer)
    case = Case(practice=practice, created_by=actor if getattr(actor, "pk", None) else None)
    apply_fields(
        case,
        {"client": client, "provider": provider, "insurer": insurer, "reason": reason, **data},
        DRAFT_FIELDS + TRACKING_FIELDS,
    )
    clean_and_save(case)
    record_event(case, actor, "created", "Case created as a draft.")
    return case


@transaction.atomic
def case_update(*, case_id: int, actor, version: int | None, **data) -> Case:
    """Change a case. ``version`` must be the one the editor loaded: a stale one is refused
    (409 stale_version) so two people editing at once never overwrite each other."""
    case = lock_case(case_id)
    if version is None or version == "":
        raise ValidationError({"version": "Send the version of the case you are editing."})
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": "The version is a whole number."}) from None
    if version != case.version:
        raise conflict(
            "stale_version",
            f"Someone changed this case meanwhile (version {case.version}, you edited "
            f"version {version}). Reload and apply your change again.",
        )
    _check_same_practice(case.practice_id, client=data.get("client"), provider=data.get("provider"))
    _check_assignee(case.practice_id, data.get("assigned_to"))
    changed = apply_fields(case, data, DRAFT_FIELDS + TRACKING_FIELDS)
    if "insurer" in changed:
        check_insurer_open(case.insurer)
    # Only a real change to the request is refused after draft (a PUT repeats every field).
    draft_changes = [name for name in changed if name in DRAFT_FIELDS]
    if draft_changes and not case.is_draft:
        _require_draft(case, "The request (" + ", ".join(sorted(draft_changes)) + ")")
    if not changed:
        return case
    case.full_clean()
    case_bump(case, list(changed))
    record_event(case, actor, "updated", "Case updated.", {"changed": _changes_for_event(changed)})
    return case


@transaction.atomic
def case_set_follow_up(*, case_id: int, actor, follow_up_on: dt.date | None) -> Case:
    """Set the next follow-up date (a tracking field: no version needed, any status)."""
    case = lock_case(case_id)
    if case.follow_up_on != follow_up_on:
        old = case.follow_up_on
        case.follow_up_on = follow_up_on
        case_bump(case, ["follow_up_on"])
        record_event(
            case,
            actor,
            "follow_up_set",
            "Follow-up date set.",
            {"changed": _changes_for_event({"follow_up_on": (old, follow_up_on)})},
        )
    return case


@transaction.atomic
def case_set_tracking(*, case_id: int, actor, assigned_to, follow_up_on: dt.date | None) -> Case:
    """Assignee and follow-up together (the workspace's form), in one transaction: tracking
    fields, open at any status and without a version."""
    case = lock_case(case_id)
    _check_assignee(case.practice_id, assigned_to)
    if case.assigned_to_id != getattr(assigned_to, "pk", None):
        old = case.assigned_to_id
        case.assigned_to = assigned_to
        case_bump(case, ["assigned_to"])
        record_event(
            case,
            actor,
            "updated",
            "Assignee changed.",
            {"changed": _changes_for_event({"assigned_to": (old, case.assigned_to_id)})},
        )
    return case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=follow_up_on)


@transaction.atomic
def case_submit(
    *, case_id: int, actor, submission_channel: str = "", insurer_reference: str = ""
) -> Case:
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.SUBMIT)
    today = timezone.localdate()
    readiness = case_readiness(case, on=today)
    failing = readiness.failing_errors
    if failing:
        raise DomainError(
            code=failing[0].code,
            detail=f"The case is not ready to submit: {len(failing)} check(s) failed.",
            errors=[{"code": c.code, "detail": c.detail} for c in failing],
        )
    policy = readiness.policy
    case.status = target
    case.submitted_at = timezone.now()
    case.rate_policy = policy
    case.submission_channel = submission_channel or (policy.submission_channel if policy else "")
    if insurer_reference:
        case.insurer_reference = insurer_reference
    if policy and policy.expected_response_days and case.follow_up_on is None:
        case.follow_up_on = today + dt.timedelta(days=policy.expected_response_days)
    case.full_clean()
    case_bump(
        case,
        [
            "status",
            "submitted_at",
            "rate_policy",
            "submission_channel",
            "insurer_reference",
            "follow_up_on",
        ],
    )
    record_event(
        case,
        actor,
        "submitted",
        "Submitted to the insurer.",
        {"submission_channel": case.submission_channel, "policy_id": policy.pk if policy else None},
    )
    return case


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; it goes on the case's record."})
    return reason


@transaction.atomic
def case_deny(*, case_id: int, actor, reason: str) -> Case:
    """The insurer denied the request."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.DENY)
    case.status = target
    case.decided_at = timezone.now()
    case.decision_reason = _require_reason(reason)
    case_bump(case, ["status", "decided_at", "decision_reason"])
    record_event(
        case, actor, "denied", "The insurer denied the request.", {"reason": case.decision_reason}
    )
    return case


@transaction.atomic
def case_withdraw(*, case_id: int, actor, reason: str) -> Case:
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.WITHDRAW)
    case.status = target
    case.decided_at = timezone.now()
    case.decision_reason = _require_reason(reason)
    case_bump(case, ["status", "decided_at", "decision_reason"])
    record_event(
        case,
        actor,
        "withdrawn",
        "The practice withdrew the request.",
        {"reason": case.decision_reason},
    )
    return case


def sessions_still_remaining(case: Case) -> int | None:
    """Sessions of a transition not yet used: the agreement's count less utilization when
    the negotiations app reports it (duck-typed: cases never imports negotiations)."""
    agreement = getattr(case, "agreement", None) if case.status == CaseStatus.APPROVED else None
    used = getattr(agreement, "sessions_used", None)
    authorized = getattr(agreement, "sessions_authorized", None)
    if agreement is not None and authorized is not None and used is not None:
        return max(authorized - used, 0)
    return case.sessions_remaining


@transaction.atomic
def case_renew(*, case_id: int, actor) -> Case:
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
    new = Case(
        practice_id=case.practice_id,
        client_id=case.client_id,
        provider_id=case.provider_id,
        insurer_id=case.insurer_id,
        reason=case.reason,
        initiated_by=case.initiated_by,
        service_type=case.service_type,
        clinical_justification=case.clinical_justification,
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


# ----------------------------------------------------------------------------- network searches


@transaction.atomic
def network_search_add(*, case_id: int, actor, **data) -> NetworkSearch:
    case = lock_case(case_id)
    _require_draft(case, "The in-network search log")
    search = NetworkSearch(case=case)
    apply_fields(search, data, SEARCH_FIELDS)
    clean_and_save(search)
    record_event(
        case,
        actor,
        "search_added",
        f"In-network attempt recorded: {search.get_outcome_display()}.",
        {"network_search": search.pk},
    )
    return search


@transaction.atomic
def network_search_update(*, search_id: int, actor, **data) -> NetworkSearch:
    search = NetworkSearch.objects.select_for_update().get(pk=search_id)
    case = lock_case(search.case_id)
    _require_draft(case, "The in-network search log")
    changed = apply_fields(search, data, SEARCH_FIELDS)
    if changed:
        clean_and_save(search)
        record_event(
            case,
            actor,
            "search_updated",
            "In-network attempt changed.",
            {"network_search": search.pk, "changed": _changes_for_event(changed)},
        )
    return search


@transaction.atomic
def network_search_remove(*, search_id: int, actor) -> None:
    search = NetworkSearch.objects.select_for_update().get(pk=search_id)
    case = lock_case(search.case_id)
    _require_draft(case, "The in-network search log")
    search.delete()
    record_event(
        case, actor, "search_removed", "In-network attempt removed.", {"network_search": search_id}
    )


# ----------------------------------------------------------------------------- requested services


def _normalize_service(service: RequestedService) -> None:
    service.modifier = validate_modifier(service.modifier)
    code = BillingCode.objects.filter(pk=service.billing_code_id).first()
    if code is None:
        raise ValidationError({"billing_code": "No such billing code."})
    duplicate = (
        RequestedService.objects.filter(
            case_id=service.case_id,
            billing_code_id=service.billing_code_id,
            modifier=service.modifier,
        )
        .exclude(pk=service.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError(
            {"billing_code": f"{code.code} {service.modifier} is already requested."}
        )


@transaction.atomic
def service_add(*, case_id: int, actor, **data) -> RequestedService:
    case = lock_case(case_id)
    _require_draft(case, "The requested services")
    service = RequestedService(case=case)
    apply_fields(service, data, SERVICE_FIELDS)
    _normalize_service(service)
    if service.requested_rate is None:  # the practice's usual rate, when it has one
        service.requested_rate = usual_rate(
            case.practice_id, service.billing_code_id, service.modifier
        )
    clean_and_save(service)
    record_event(case, actor, "service_added", f"Requested {service}.", {"service": service.pk})
    return service


@transaction.atomic
def service_update(*, service_id: int, actor, **data) -> RequestedService:
    service = RequestedService.objects.select_for_update().get(pk=service_id)
    case = lock_case(service.case_id)
    _require_draft(case, "The requested services")
    changed = apply_fields(service, data, SERVICE_FIELDS)
    if changed:
        _normalize_service(service)
        clean_and_save(service)
        record_event(
            case,
            actor,
            "service_updated",
            f"Changed {service}.",
            {"service": service.pk, "changed": _changes_for_event(changed)},
        )
    return service


@transaction.atomic
def service_remove(*, service_id: int, actor) -> None:
    service = (
        RequestedService.objects.select_for_update()
        .select_related("billing_code")
        .get(pk=service_id)
    )
    case = lock_case(service.case_id)
    _require_draft(case, "The requested services")
    label = str(service)
    service.delete()
    record_event(case, actor, "service_removed", f"Removed {label}.", {"service": service_id})


# ----------------------------------------------------------------------------- consents


def validate_upload(upload: UploadedFile) -> str:
    """PDF, PNG or JPEG only, judged by the file's content (not its name), size-limited."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError({"file": f"The file is larger than {limit // (1024 * 1024)} MB."})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, (ext, _mime) in ALLOWED_UPLOADS.items():
        if head.startswith(magic):
            return ext
    raise ValidationError({"file": "Upload the signed consent as a PDF, PNG or JPEG file."})


@transaction.atomic
def consent_add(*, case_id: int, actor, file: UploadedFile | None = None, **data) -> Consent:
    case = lock_case(case_id)
    _require_draft(case, "Consents")
    consent = Consent(case=case, recorded_by=actor if getattr(actor, "pk", None) else None)
    apply_fields(consent, data, CONSENT_FIELDS)
    consent.full_clean(exclude=["file"])
    if file is not None:
        ext = validate_upload(file)
        file.name = f"consent.{ext}"  # the stored name is random; see consent_upload_to
        consent.file = file
    consent.save()
    record_event(
        case,
        actor,
        "consent_added",
        "Consent recorded.",
        {"consent": consent.pk, "with_scan": bool(file)},
    )
    return consent


@transaction.atomic
def consent_update(*, consent_id: int, actor, file: UploadedFile | None = None, **data) -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    case = lock_case(consent.case_id)
    _require_draft(case, "Consents")
    changed = apply_fields(consent, data, CONSENT_FIELDS)
    consent.full_clean(exclude=["file"])
    old_file = consent.file.name if consent.file else ""
    if file is not None:
        ext = validate_upload(file)
        file.name = f"consent.{ext}"
        consent.file = file
        changed["file"] = ("", "(new scan)")
    if changed:
        consent.save()
        if file is not None and old_file:
            transaction.on_commit(lambda: consent.file.storage.delete(old_file))
        record_event(
            case,
            actor,
            "consent_updated",
            "Consent changed.",
            {"consent": consent.pk, "changed": _changes_for_event(changed)},
        )
    return consent


@transaction.atomic
def consent_remove(*, consent_id: int, actor) -> None:
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    case = lock_case(consent.case_id)
    _require_draft(case, "Consents")
    name = consent.file.name if consent.file else ""
    storage = consent.file.storage
    consent.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
    record_event(case, actor, "consent_removed", "Consent removed.", {"consent": consent_id})
