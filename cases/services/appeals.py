"""The insurer's denial as data, and the appeals against it (DESIGN.md rule 11): recording the
denial, filing a level, its decision, and closing the pending level when the insurer reverses
(an approval or an offer on an appealed case, in ``negotiations``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    Appeal,
    AppealLevel,
    AppealOutcome,
    AttachmentKind,
    Case,
    CaseAction,
    CaseStatus,
    DenialCategory,
)
from cases.selectors.appeals import (
    DECISION_DAYS,
    EXPEDITED_DECISION_DAYS,
    appeal_options,
    appeal_warnings,
    appealable,
    current_appeals,
    denial_date,
    levels_for,
)
from cases.selectors.readiness_documents import current_attachment_kinds
from cases.selectors.readiness_rules import Check
from cases.selectors.reference import case_policy
from core.exceptions import conflict

from .case import DECISION_REASON_MAX_LENGTH, case_bump, check_transition, lock_case, record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What a denial and an appeal carry, as the doors take them (the API's serializers and the
# workspace's forms read these).
DENY_FIELDS = ["reason_category", "received_on", "reason", "appeal_address"]
APPEAL_FIELDS = ["level", "filed_on", "channel", "reference", "expedited", "notes"]
APPEAL_ADDRESS_MAX_LENGTH = 1000
# What the decide door records: an upheld denial, or the practice withdrawing the level. An
# overturned appeal is recorded by approving the case or recording the insurer's offer.
DECIDE_OUTCOMES = (AppealOutcome.UPHELD, AppealOutcome.WITHDRAWN)


def _check_text(name: str, value: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({name: "Give the insurer's wording; it goes on the case's record."})
    if len(value) > limit:
        raise ValidationError({name: f"Keep this to {limit:,} characters."})
    return value


def _check_day(name: str, day: dt.date, earliest: dt.date | None, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({name: "This date cannot be in the future."})
    if earliest is not None and day < earliest:
        raise ValidationError({name: f"This is before {what} ({earliest.isoformat()})."})


@transaction.atomic
def case_deny(
    *,
    case_id: int,
    actor: User,
    reason: str,
    reason_category: str,
    received_on: dt.date | None = None,
    appeal_address: str = "",
) -> Case:
    """The insurer denied the request: why (its category and its words), when the practice
    received the denial (appeal deadlines count from it; default today) and where the denial
    says appeals go."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.DENY)
    if reason_category not in DenialCategory.values:
        raise ValidationError(
            {"reason_category": "Choose the category of the denial: "
             + ", ".join(DenialCategory.values) + "."}
        )  # fmt: skip
    received_on = received_on or timezone.localdate()
    submitted = timezone.localdate(case.submitted_at) if case.submitted_at else None
    _check_day("received_on", received_on, submitted, "the case was submitted")
    case.decision_reason = _check_text("reason", reason, DECISION_REASON_MAX_LENGTH, required=True)
    # The denial answers any offer still open: it is no longer there to accept. (Through the
    # reverse relation: cases never imports negotiations; "open"/"rejected" are OfferStatus.)
    case.offers.filter(status="open").update(status="rejected")
    case.status = target
    case.decided_at = timezone.now()
    case.denial_category = reason_category
    case.denial_received_on = received_on
    case.denial_appeal_address = _check_text(
        "appeal_address", appeal_address, APPEAL_ADDRESS_MAX_LENGTH
    )
    fields = ["status", "decided_at", "decision_reason", "denial_category"]
    case_bump(case, [*fields, "denial_received_on", "denial_appeal_address"])
    record_event(
        case,
        actor,
        "denied",
        f"The insurer denied the request ({DenialCategory(reason_category).label.lower()}).",
        {"reason": case.decision_reason, "category": reason_category},
    )
    return case


def _check_level(case: Case, level: str, appeals: list[Appeal]) -> dt.date:
    """The deadline of ``level`` when it may be filed now; else the refusal that says why."""
    if level in {a.level for a in appeals}:
        raise conflict(
            "appeal_level_used",
            f"The {AppealLevel(level).label.lower()} of this case was already filed; "
            "file the next level.",
        )
    levels = levels_for(case)
    if level not in levels:
        names = ", ".join(f"{AppealLevel(x).label.lower()} ({x})" for x in levels)
        raise ValidationError(
            {"level": f"The client's {case.client.get_line_of_business_display()} coverage "
             f"has these levels: {names}."}
        )  # fmt: skip
    options = {o.level: o for o in appeal_options(case, appeals, case_policy(case))}
    if level not in options:
        first = ", ".join(o.label.lower() for o in options.values()) or "none"
        raise ValidationError({"level": f"The level that may be filed now: {first}."})
    return options[level].due_on


@transaction.atomic
def appeal_file(
    *,
    case_id: int,
    actor: User,
    level: str,
    filed_on: dt.date | None = None,
    channel: str = "",
    reference: str = "",
    expedited: bool = False,
    notes: str = "",
) -> tuple[Appeal, list[Check]]:
    """File a level of appeal of a denied case, with what to know about it: a late appeal is
    allowed and flagged ``appeal_late`` (in the timeline too)."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.APPEAL)
    if not appealable(case):
        raise conflict(
            "not_appealable",
            "The insurer refused to contract or to pay the rate: there is no clinical decision "
            "to appeal. Escalate to the regulator named on the case instead.",
        )
    appeals = current_appeals(case, list(case.appeals.all()))
    due = _check_level(case, level, appeals)
    filed_on = filed_on or timezone.localdate()
    basis = max([denial_date(case) or filed_on] + [a.decided_on for a in appeals if a.decided_on])
    _check_day("filed_on", filed_on, basis, "the denial it answers")
    assert case.decided_at is not None  # a denied case has its denial's time
    appeal = Appeal(
        case=case,
        denied_at=case.decided_at,
        level=level,
        filed_on=filed_on,
        channel=channel,
        reference=reference,
        expedited=expedited,
        due_on=due,
        late=filed_on > due,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    appeal.full_clean(exclude=["case", "created_by"])
    appeal.save()
    warnings = appeal_warnings(
        case,
        level=level,
        filed_on=filed_on,
        due=due,
        has_representative=AttachmentKind.AUTHORIZED_REPRESENTATIVE
        in current_attachment_kinds(case),
    )
    case.status = target
    wait = EXPEDITED_DECISION_DAYS if expedited else DECISION_DAYS
    case.follow_up_on = filed_on + dt.timedelta(days=wait)
    case_bump(case, ["status", "follow_up_on"])
    label = AppealLevel(level).label
    message = f"{label} filed" + (" (expedited)." if expedited else ".")
    if appeal.late:
        message += f" Filed after its deadline ({due.isoformat()}): appeal_late."
    record_event(
        case,
        actor,
        "appealed",
        message,
        {"appeal": appeal.pk, "level": level, "late": appeal.late, "due_on": due.isoformat()},
    )
    return appeal, [w for w in warnings if not w.ok]


@transaction.atomic
def appeal_decide(
    *,
    case_id: int,
    appeal_id: int,
    actor: User,
    outcome: str,
    decided_on: dt.date | None = None,
    notes: str = "",
) -> Appeal:
    """The insurer upheld its denial at this level (the case is denied again, and the next
    level may be filed), or the practice withdrew the level."""
    case = lock_case(case_id)
    if outcome not in DECIDE_OUTCOMES:
        raise ValidationError(
            {"outcome": "Record an upheld denial or a withdrawn appeal here. An overturned "
             "denial is recorded by approving the case with the authorization, or by recording "
             "the insurer's offer."}
        )  # fmt: skip
    try:
        appeal = case.appeals.select_for_update().get(pk=appeal_id)
    except Appeal.DoesNotExist:
        raise Appeal.DoesNotExist("No such appeal on this case.") from None
    if not appeal.is_pending:
        raise conflict(
            "appeal_decided",
            f"This appeal was already decided ({appeal.get_outcome_display().lower()}).",
        )
    target = check_transition(case, CaseAction.UPHOLD)
    decided_on = decided_on or timezone.localdate()
    _check_day("decided_on", decided_on, appeal.filed_on, "the appeal was filed")
    appeal.outcome, appeal.decided_on = outcome, decided_on
    if notes:
        appeal.notes = (appeal.notes + "\n" + notes).strip()
    appeal.save(update_fields=["outcome", "decided_on", "notes"])
    case.status = target
    case_bump(case, ["status"])
    words = "upheld the denial" if outcome == AppealOutcome.UPHELD else "was withdrawn"
    record_event(
        case,
        actor,
        "appeal_decided",
        f"{appeal.get_level_display()}: {words} ({decided_on.isoformat()}).",
        {"appeal": appeal.pk, "outcome": outcome},
    )
    return appeal


def appeal_close_pending(*, case: Case, actor: User, outcome: str) -> Appeal | None:
    """Close the pending level of an appealed case the insurer reverses (an approval or an
    offer: ``negotiations`` calls this inside its own transaction, the case locked)."""
    if case.status != CaseStatus.APPEALED:
        return None
    appeal = case.appeals.select_for_update().filter(outcome=AppealOutcome.PENDING).first()
    if appeal is None:
        return None
    appeal.outcome = outcome
    appeal.decided_on = max(timezone.localdate(), appeal.filed_on)
    appeal.save(update_fields=["outcome", "decided_on"])
    record_event(
        case,
        actor,
        "appeal_decided",
        f"{appeal.get_level_display()}: {appeal.get_outcome_display().lower()}.",
        {"appeal": appeal.pk, "outcome": outcome},
    )
    return appeal
