"""Every write to a case and every status change (DESIGN.md section 5); what a case is made
of is written by ``parts``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import (
    TRANSITIONS,
    AppealOutcome,
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Client,
    Insurer,
    Membership,
    Practice,
    Provider,
)
from core.exceptions import conflict

from .common import Changes, apply_fields, check_same_practice, clean_and_save, jsonable, lock_row
from .reference import check_insurer_open

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# What a caller may set on a case (an update names what it changes). The request's fields are
# frozen once the case leaves draft; the tracking fields (assignment, follow-ups, the insurer's
# numbers) are editable in any status.
class DraftData(TypedDict, total=False):
    client: Client
    provider: Provider | None
    insurer: Insurer
    reason: str
    initiated_by: str
    service_type: str
    planned_start_date: dt.date | None
    # Care under way (DESIGN.md rule 3; the model checks the two dates).
    treatment_started_on: dt.date | None
    coverage_change_on: dt.date | None
    requested_start: dt.date | None
    requested_end: dt.date | None
    sessions_requested: int | None
    sessions_remaining: int | None
    clinical_justification: str


class CaseData(DraftData, total=False):
    assigned_to: User | None
    follow_up_on: dt.date | None
    insurer_reference: str
    authorization_number: str


DRAFT_FIELDS = list(DraftData.__annotations__)
TRACKING_FIELDS = [name for name in CaseData.__annotations__ if name not in DRAFT_FIELDS]
LONG_TEXT_FIELDS = {"clinical_justification"}
# Bounds both doors (the API's serializer and the request form) take from here.
SESSIONS_REQUESTED_BOUNDS = (1, 100_000)
SESSIONS_REMAINING_BOUNDS = (0, 100_000)
DECISION_REASON_MAX_LENGTH = 2000
# The statuses in which a case still stands for its client's request (rule 12: duplicates).
OPEN_STATUSES = (
    CaseStatus.DRAFT,
    CaseStatus.SUBMITTED,
    CaseStatus.IN_NEGOTIATION,
    CaseStatus.APPEALED,
)


# ----------------------------------------------------------------------------- helpers


def record_event(
    case: Case, actor: User | None, kind: str, message: str, data: dict[str, object] | None = None
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        message=message,
        data=data or {},
    )


def changes_for_event(changed: Changes) -> dict[str, list[object]]:
    # Long free text is not copied into the timeline, only the fact that it changed.
    return {
        name: ["(edited)"] if name in LONG_TEXT_FIELDS else [jsonable(old), jsonable(new)]
        for name, (old, new) in changed.items()
    }


def lock_case(case_id: int) -> Case:
    return lock_row(Case.objects.select_related("insurer"), case_id, "This case")


ACTION_PAST: dict[str, str] = {
    CaseAction.SUBMIT: "submitted",
    CaseAction.RECEIVE_OFFER: "given an offer",
    CaseAction.APPROVE: "approved",
    CaseAction.ACCEPT: "accepted",
    CaseAction.DENY: "denied",
    CaseAction.APPEAL: "appealed",
    CaseAction.UPHOLD: "decided on appeal",
    CaseAction.DECLINE: "declined",
    CaseAction.WITHDRAW: "withdrawn",
    CaseAction.EXPIRE: "expired",
    CaseAction.RENEW: "renewed",
}


def check_transition(case: Case, action: str) -> str:
    """The status ``action`` leads to from the case's status (the same one where the action
    starts a new case, as renew does), or 409 invalid_transition."""
    allowed_from, target = TRANSITIONS[action]
    if case.status not in allowed_from:
        raise conflict(
            "invalid_transition",
            f"A case that is {case.get_status_display().lower()} cannot be {ACTION_PAST[action]}.",
        )
    return target or case.status


def require_draft(case: Case, what: str) -> None:
    if not case.is_draft:
        raise conflict(
            "case_not_draft",
            f"{what} can only change while the case is a draft; this case is "
            f"{case.get_status_display().lower()}.",
        )


def _check_assignee(practice_id: int, assignee: User | None) -> None:
    if assignee is None:
        return
    if not Membership.objects.filter(practice_id=practice_id, user=assignee).exists():
        raise ValidationError({"assigned_to": "Assign the case to a member of its practice."})


def _check_sessions(case: Case, names: Iterable[str]) -> None:
    bounds = {
        "sessions_requested": SESSIONS_REQUESTED_BOUNDS,
        "sessions_remaining": SESSIONS_REMAINING_BOUNDS,
    }
    errors = {}
    for name in set(names) & set(bounds):
        low, high = bounds[name]
        value = getattr(case, name)
        if value is not None and not low <= value <= high:
            errors[name] = f"Enter a number from {low} to {high:,}."
    if errors:
        raise ValidationError(errors)


def case_bump(case: Case, fields: list[str]) -> None:
    """Save ``fields`` of a changed case with its version one up: every write to a case goes
    through here, so a client holding the old version gets 409 (DESIGN.md section 3, house
    rule 1)."""
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


# ----------------------------------------------------------------------------- the case


def _check_duplicate_case(case: Case) -> None:
    """DESIGN.md rule 12: an open case of the same client at the same insurer whose requested
    period overlaps this one (a missing date is open-ended, so it overlaps) is 409
    ``duplicate_open_case`` naming it. Creates for one client wait for each other (the client's
    row is locked until commit), so two at once cannot both pass."""
    if case.client_id is None or case.insurer_id is None:
        return  # the model's validation names the missing field
    Client.objects.select_for_update().filter(pk=case.client_id).first()
    existing = Case.objects.filter(
        practice_id=case.practice_id,
        client_id=case.client_id,
        insurer_id=case.insurer_id,
        status__in=OPEN_STATUSES,
    )
    if case.requested_end is not None:
        existing = existing.filter(
            Q(requested_start__isnull=True) | Q(requested_start__lte=case.requested_end)
        )
    if case.requested_start is not None:
        existing = existing.filter(
            Q(requested_end__isnull=True) | Q(requested_end__gte=case.requested_start)
        )
    first = existing.order_by("pk").first()
    if first is not None:
        raise conflict(
            "duplicate_open_case",
            f"SCA #{first.pk} for this client and insurer is still open "
            f"({first.get_status_display().lower()}) and its period overlaps this one. "
            "Continue with it, or confirm that a second request is intended.",
            existing_case=first.pk,
        )


@transaction.atomic
def case_create(
    *, actor: User, practice: Practice, data: CaseData, confirm_duplicate: bool = False
) -> Case:
    """A draft; ``data`` names at least the client, the insurer and the reason. A second open
    case for the client, insurer and period needs ``confirm_duplicate``."""
    # A form's confirmation box may come inside its cleaned data (``as_data`` passes it on).
    fields = dict(data)
    confirm_duplicate = bool(fields.pop("confirm_duplicate", False)) or confirm_duplicate
    check_same_practice(
        practice.pk, {"client": data.get("client"), "provider": data.get("provider")}
    )
    _check_assignee(practice.pk, data.get("assigned_to"))
    if "insurer" in data:  # without one, the model's validation names the field
        check_insurer_open(data["insurer"])
    case = Case(practice=practice, created_by=actor if getattr(actor, "pk", None) else None)
    apply_fields(case, fields, DRAFT_FIELDS + TRACKING_FIELDS)
    _check_sessions(case, DRAFT_FIELDS)
    if not confirm_duplicate:
        _check_duplicate_case(case)
    clean_and_save(case)
    record_event(case, actor, "created", "Case created as a draft.")
    return case


@transaction.atomic
def case_update(*, case_id: int, actor: User, version: int | str | None, data: CaseData) -> Case:
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
    check_same_practice(
        case.practice_id, {"client": data.get("client"), "provider": data.get("provider")}
    )
    _check_assignee(case.practice_id, data.get("assigned_to"))
    changed = apply_fields(case, data, DRAFT_FIELDS + TRACKING_FIELDS)
    if "insurer" in changed:
        check_insurer_open(case.insurer)
    # Only a real change to the request is refused after draft (a PUT repeats every field).
    draft_changes = [name for name in changed if name in DRAFT_FIELDS]
    if draft_changes and not case.is_draft:
        require_draft(case, "The request (" + ", ".join(sorted(draft_changes)) + ")")
    if not changed:
        return case
    _check_sessions(case, changed)
    case.full_clean()
    case_bump(case, list(changed))
    record_event(case, actor, "updated", "Case updated.", {"changed": changes_for_event(changed)})
    return case


@transaction.atomic
def case_set_follow_up(*, case_id: int, actor: User, follow_up_on: dt.date | None) -> Case:
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
            {"changed": changes_for_event({"follow_up_on": (old, follow_up_on)})},
        )
    return case


@transaction.atomic
def case_set_tracking(
    *, case_id: int, actor: User, assigned_to: User | None, follow_up_on: dt.date | None
) -> Case:
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
            {"changed": changes_for_event({"assigned_to": (old, case.assigned_to_id)})},
        )
    return case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=follow_up_on)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; it goes on the case's record."})
    if len(reason) > DECISION_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason to {DECISION_REASON_MAX_LENGTH:,} characters."}
        )
    return reason


@transaction.atomic
def case_withdraw(*, case_id: int, actor: User, reason: str) -> Case:
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.WITHDRAW)
    # An appeal still pending goes with the case.
    case.appeals.filter(outcome=AppealOutcome.PENDING).update(
        outcome=AppealOutcome.WITHDRAWN, decided_on=timezone.localdate()
    )
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
