"""Every write of the negotiation: offers and counters, the decision, the agreement,
contacts, the fee schedule, utilization, reminders and expiry."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from billing_codes.models import code_label
from cases.models import Case, CaseAction, CaseStatus, Practice
from cases.selectors import case_policy
from cases.services import (
    case_bump,
    case_set_follow_up,
    check_transition,
    lock_case,
    record_event,
    validate_modifier,
)
from sca_portal.exceptions import DomainError, conflict

from . import pricing
from .models import (
    Agreement,
    AgreementLine,
    ContactLog,
    Notification,
    Offer,
    OfferLine,
    OfferParty,
    OfferStatus,
    PracticeRate,
    UtilizationEntry,
)

logger = logging.getLogger(__name__)

OFFER_FIELDS = ["received_on", "channel", "rep_name", "reference_number", "notes"]


def _clean_lines(lines: list[dict], *, rate_required: bool = True) -> list[dict]:
    if not lines:
        raise ValidationError({"lines": "List at least one code with its rate."})
    seen: set[tuple[int, str]] = set()
    cleaned = []
    for i, line in enumerate(lines):
        code = line["billing_code"]
        modifier = validate_modifier(line.get("modifier", ""), field=f"lines[{i}].modifier")
        if (code.pk, modifier) in seen:
            raise ValidationError({"lines": f"lines[{i}]: {code.code} {modifier} is listed twice."})
        seen.add((code.pk, modifier))
        rate = line.get("rate")
        if rate_required and rate is None:
            raise ValidationError({f"lines[{i}].rate": "Give the rate for this code."})
        if rate is not None and rate < 0:
            raise ValidationError({f"lines[{i}].rate": "A rate cannot be negative."})
        cleaned.append({**line, "modifier": modifier})
    return cleaned


def _supersede_open(case: Case) -> None:
    case.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.SUPERSEDED)


def _create_offer(case: Case, actor, party: str, lines: list[dict], data: dict) -> Offer:
    unknown = set(data) - set(OFFER_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if data.get("received_on") and data["received_on"] > timezone.localdate():
        raise ValidationError({"received_on": "This date is in the future."})
    _supersede_open(case)
    offer = Offer(
        case=case, party=party, created_by=actor if getattr(actor, "pk", None) else None, **data
    )
    offer.full_clean(exclude=["case"])
    offer.save()
    OfferLine.objects.bulk_create(
        [
            OfferLine(
                offer=offer,
                billing_code=line["billing_code"],
                modifier=line["modifier"],
                rate=line["rate"],
                units=line.get("units"),
                unit_period=line.get("unit_period") or "total",
            )
            for line in lines
        ]
    )
    return offer


@transaction.atomic
def offer_record(*, case_id: int, actor, lines: list[dict], **data) -> Offer:
    """The insurer's offer. The first one moves a submitted case to in_negotiation."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.RECEIVE_OFFER)
    lines = _clean_lines(lines)
    data.setdefault("received_on", timezone.localdate())
    offer = _create_offer(case, actor, OfferParty.INSURER, lines, data)
    if case.status != target:
        case.status = target
        case_bump(case, ["status"])
    record_event(case, actor, "offer_received", "The insurer made an offer.", {"offer": offer.pk})
    return offer


@transaction.atomic
def offer_counter(*, case_id: int, actor, lines: list[dict], **data) -> Offer:
    """The practice's counter-offer; only under a negotiable policy."""
    case = lock_case(case_id)
    if case.status != CaseStatus.IN_NEGOTIATION:
        raise conflict(
            "invalid_transition",
            f"A counter-offer answers an insurer's offer; this case is "
            f"{case.get_status_display().lower()}.",
        )
    policy = case_policy(case)
    if policy is not None and not policy.is_negotiable:
        raise DomainError(
            code="rate_not_negotiable",
            detail=(
                f"{case.insurer.name} pays under a {policy.get_kind_display().lower()} policy: "
                "there is no counter-offer. Accept the offer or decline the SCA."
            ),
        )
    lines = _clean_lines(lines)
    data.setdefault("received_on", timezone.localdate())
    offer = _create_offer(case, actor, OfferParty.PRACTICE, lines, data)
    record_event(
        case, actor, "counter_sent", "The practice sent a counter-offer.", {"offer": offer.pk}
    )
    return offer


def _validate_terms(authorization_number: str, start_date, end_date, sessions_authorized) -> str:
    errors = {}
    authorization_number = (authorization_number or "").strip()
    if not authorization_number:
        errors["authorization_number"] = "Enter the insurer's authorization number."
    if start_date and end_date and end_date <= start_date:
        errors["end_date"] = "The agreement must end after it starts."
    if sessions_authorized is not None and sessions_authorized < 0:
        errors["sessions_authorized"] = "Sessions cannot be negative."
    if errors:
        raise ValidationError(errors)
    return authorization_number


def agreement_flags(case: Case, lines: list[dict]) -> dict:
    """Requested codes left out of the agreement, and lines below the practice's floor."""
    agreed = {(line["billing_code"].pk, line["modifier"]) for line in lines}
    missing = [
        code_label(s.billing_code.code, s.modifier)
        for s in case.services.select_related("billing_code")
        if (s.billing_code_id, s.modifier) not in agreed
    ]
    floors = {
        (r.billing_code_id, r.modifier): r.floor_rate
        for r in PracticeRate.objects.filter(practice_id=case.practice_id, floor_rate__isnull=False)
    }
    below = []
    for line in lines:
        key = (line["billing_code"].pk, line["modifier"])
        floor = floors.get(key, floors.get((key[0], "")))
        if floor is not None and line["rate"] < floor:
            below.append(f"{line['billing_code'].code} ({line['rate']} < {floor})")
    return {"missing_codes": missing, "below_floor": below}


def _write_agreement(
    case: Case, actor, lines: list[dict], terms: dict, offer: Offer | None
) -> Agreement:
    flags = agreement_flags(case, lines)
    agreement = Agreement(
        case=case,
        authorization_number=terms["authorization_number"],
        start_date=terms["start_date"],
        end_date=terms["end_date"],
        sessions_authorized=terms.get("sessions_authorized"),
        source_offer=offer,
        flags=flags,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    agreement.full_clean(exclude=["case", "source_offer"])
    agreement.save()
    AgreementLine.objects.bulk_create(
        [
            AgreementLine(
                agreement=agreement,
                billing_code=line["billing_code"],
                modifier=line["modifier"],
                rate=line["rate"],
                units_authorized=line["units"],
                unit_period=line.get("unit_period") or "total",
            )
            for line in lines
        ]
    )
    case.status = CaseStatus.APPROVED
    case.decided_at = timezone.now()
    case.authorization_number = terms["authorization_number"]
    case_bump(case, ["status", "decided_at", "authorization_number"])
    return agreement


def _terms(case: Case, authorization_number, start_date, end_date, sessions_authorized) -> dict:
    start_date = start_date or case.requested_start
    end_date = end_date or case.requested_end
    if start_date is None or end_date is None:
        raise ValidationError({"start_date": "Give the agreement's start and end dates."})
    number = _validate_terms(authorization_number, start_date, end_date, sessions_authorized)
    return {
        "authorization_number": number,
        "start_date": start_date,
        "end_date": end_date,
        "sessions_authorized": sessions_authorized,
    }


@transaction.atomic
def offer_accept(
    *,
    case_id: int,
    offer_id: int,
    actor,
    authorization_number: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    sessions_authorized: int | None = None,
) -> Agreement:
    """Accept the open offer: the case is approved and the agreement written from its lines."""
    case = lock_case(case_id)
    offer = Offer.objects.select_for_update().filter(pk=offer_id, case_id=case.pk).first()
    if offer is None:
        raise Http404("No such offer on this case.")
    if offer.status != OfferStatus.OPEN:
        raise DomainError(
            code="offer_not_open",
            detail=(
                f"This offer is {offer.get_status_display().lower()}; "
                "only the open offer can be accepted."
            ),
        )
    check_transition(case, CaseAction.ACCEPT)
    terms = _terms(case, authorization_number, start_date, end_date, sessions_authorized)
    requested_units = {
        (s.billing_code_id, s.modifier): (s.units, s.unit_period) for s in case.services.all()
    }
    lines = []
    for line in offer.lines.select_related("billing_code"):
        units, period = (
            (line.units, line.unit_period)
            if line.units
            else requested_units.get((line.billing_code_id, line.modifier), (None, "total"))
        )
        if units is None:
            raise ValidationError(
                {"lines": f"The offer gives no units for {line.billing_code.code}; add them."}
            )
        lines.append(
            {
                "billing_code": line.billing_code,
                "modifier": line.modifier,
                "rate": line.rate,
                "units": units,
                "unit_period": period,
            }
        )
    offer.status = OfferStatus.ACCEPTED
    offer.save(update_fields=["status"])
    agreement = _write_agreement(case, actor, lines, terms, offer)
    record_event(
        case,
        actor,
        "accepted",
        "Offer accepted; the agreement is recorded.",
        {"offer": offer.pk, "agreement": agreement.pk, "flags": agreement.flags},
    )
    return agreement


@transaction.atomic
def case_approve(
    *,
    case_id: int,
    actor,
    authorization_number: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    sessions_authorized: int | None = None,
) -> Agreement:
    """The insurer approved as requested: the agreement is the requested services. Under a
    non-negotiable policy each line takes the rate the policy pays when it is known."""
    case = lock_case(case_id)
    check_transition(case, CaseAction.APPROVE)
    terms = _terms(case, authorization_number, start_date, end_date, sessions_authorized)
    policy = case_policy(case)
    policy_rates = {}
    if policy is not None and not policy.is_negotiable:
        for r in policy.rates.all():
            policy_rates[(r.billing_code_id, r.modifier)] = pricing.policy_pays(policy, r)
    lines = []
    for s in case.services.select_related("billing_code"):
        rate = policy_rates.get((s.billing_code_id, s.modifier)) or s.requested_rate
        if rate is None:
            raise ValidationError(
                {"services": f"{s.billing_code.code} has no rate; set the requested rate."}
            )
        lines.append(
            {
                "billing_code": s.billing_code,
                "modifier": s.modifier,
                "rate": rate,
                "units": s.units,
                "unit_period": s.unit_period,
            }
        )
    if not lines:
        raise DomainError(code="no_services", detail="The case requests no services to approve.")
    agreement = _write_agreement(case, actor, lines, terms, None)
    record_event(
        case,
        actor,
        "approved",
        "Approved as requested; the agreement is recorded.",
        {"agreement": agreement.pk, "flags": agreement.flags},
    )
    return agreement


@transaction.atomic
def case_decline(*, case_id: int, actor, reason: str) -> Case:
    """The practice refuses the insurer's terms."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.DECLINE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; it goes on the case's record."})
    case.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.REJECTED)
    case.status = target
    case.decided_at = timezone.now()
    case.decision_reason = reason
    case_bump(case, ["status", "decided_at", "decision_reason"])
    record_event(
        case, actor, "declined", "The practice declined the insurer's terms.", {"reason": reason}
    )
    return case


CONTACT_FIELDS = [
    "at",
    "direction",
    "channel",
    "contact_name",
    "reference_number",
    "summary",
    "follow_up_on",
]


@transaction.atomic
def contact_log(*, case_id: int, actor, **data) -> ContactLog:
    """A call, fax or message with the insurer; its follow-up date becomes the case's."""
    case = lock_case(case_id)
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    data.setdefault("at", timezone.now())
    if data["at"] > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"at": "A contact cannot be in the future."})
    if data["at"].year < 2000:
        raise ValidationError({"at": "A contact before the year 2000 is not plausible."})
    entry = ContactLog(case=case, created_by=actor if getattr(actor, "pk", None) else None, **data)
    entry.full_clean(exclude=["case"])
    entry.save()
    record_event(
        case,
        actor,
        "contact_logged",
        f"Contact logged ({entry.get_channel_display()}).",
        {"contact": entry.pk},
    )
    if entry.follow_up_on:
        case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=entry.follow_up_on)
    return entry


# ----------------------------------------------------------------------------- fee schedule

PRACTICE_RATE_FIELDS = ["billing_code", "modifier", "usual_rate", "floor_rate"]


@transaction.atomic
def practice_rate_save(
    *, actor, practice: Practice, instance: PracticeRate | None = None, **data
) -> PracticeRate:
    rate = (
        PracticeRate.objects.select_for_update().get(pk=instance.pk)
        if instance
        else PracticeRate(practice=practice)
    )
    unknown = set(data) - set(PRACTICE_RATE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    for name, value in data.items():
        setattr(rate, name, value)
    rate.modifier = validate_modifier(rate.modifier)
    rate.full_clean()
    if actor is not None:
        rate._history_user = actor
    rate.save()
    return rate


@transaction.atomic
def practice_rate_delete(*, actor, instance: PracticeRate) -> None:
    instance._history_user = actor
    instance.delete()


# ----------------------------------------------------------------------------- utilization


@transaction.atomic
def utilization_record(
    *, case_id: int, actor, service_date: dt.date, billing_code, units: int, modifier: str = ""
) -> UtilizationEntry:
    """Units used on a service date. Outside the agreement's dates or for a code it does not
    cover: refused. Past the authorized units: recorded, and flagged."""
    case = lock_case(case_id)
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise DomainError(
            code="no_agreement", detail="This case has no agreement to record use against."
        )
    modifier = validate_modifier(modifier)
    if not agreement.start_date <= service_date <= agreement.end_date:
        raise ValidationError(
            {
                "service_date": f"Outside the agreement ({agreement.start_date.isoformat()} to "
                f"{agreement.end_date.isoformat()})."
            }
        )
    line = agreement.lines.filter(billing_code=billing_code, modifier=modifier).first()
    if line is None:
        label = code_label(billing_code.code, modifier)
        raise ValidationError(
            {"billing_code": f"{label} is not in the agreement; claims for it would be denied."}
        )
    if units is None or units < 1:
        raise ValidationError({"units": "Units must be at least 1."})
    used = sum(
        agreement.utilization.filter(billing_code=billing_code, modifier=modifier).values_list(
            "units", flat=True
        )
    )
    authorized = pricing.period_units(
        line.units_authorized, line.unit_period, agreement.start_date, agreement.end_date
    )
    entry = UtilizationEntry.objects.create(
        agreement=agreement,
        service_date=service_date,
        billing_code=billing_code,
        modifier=modifier,
        units=units,
        over_authorized=used + units > authorized,
        entered_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(
        case,
        actor,
        "utilization_recorded",
        f"{units} unit(s) of {billing_code.code} recorded.",
        {"entry": entry.pk, "over_authorized": entry.over_authorized},
    )
    return entry


# ----------------------------------------------------------------------------- reminders


def _notify(user, case: Case, kind: str, key: str, message: str) -> bool:
    """Create the notification once per (user, condition); True when it is new."""
    if user is None:
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(user=user, case=case, kind=kind, key=key, message=message)
    except IntegrityError:
        return False  # already notified for this condition
    return True


def _recipient(case: Case):
    return case.assigned_to or case.created_by


def reminders_run(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: follow-ups due, agreements ending within 30 days, 3 or fewer sessions left, a line
    at 80% of its units. One notification per condition (never again the next day), and an
    email to the user for each new one. Messages name the case number, never the client."""
    from .selectors import utilization_summary

    today = today or timezone.localdate()
    created: dict[str, int] = {"follow_up": 0, "ending_soon": 0, "sessions_low": 0, "units_high": 0}

    due = (
        Case.objects.filter(follow_up_on__lte=today)
        .exclude(
            status__in=[
                CaseStatus.WITHDRAWN,
                CaseStatus.DENIED,
                CaseStatus.DECLINED,
                CaseStatus.EXPIRED,
            ]
        )
        .select_related("assigned_to", "created_by")
    )
    for case in due:
        if _notify(
            _recipient(case),
            case,
            "follow_up",
            f"follow_up:{case.pk}:{case.follow_up_on.isoformat()}",
            f"Follow-up due on SCA case #{case.pk} ({case.follow_up_on.isoformat()}).",
        ):
            created["follow_up"] += 1

    active = (
        Agreement.objects.filter(case__status=CaseStatus.APPROVED, end_date__gte=today)
        .select_related("case__assigned_to", "case__created_by")
        .prefetch_related("lines__billing_code", "utilization")
    )
    for agreement in active:
        case = agreement.case
        user = _recipient(case)
        summary = utilization_summary(agreement)
        conditions = []
        if agreement.end_date <= today + dt.timedelta(days=30):
            end = agreement.end_date.isoformat()
            conditions.append(
                (
                    "ending_soon",
                    f"ending:{agreement.pk}:{end}",
                    f"SCA case #{case.pk}: the agreement ends {end}; start the renewal.",
                )
            )
        left = summary["sessions_remaining"]
        if left is not None and left <= 3:
            conditions.append(
                (
                    "sessions_low",
                    f"sessions_low:{agreement.pk}",
                    f"SCA case #{case.pk}: {left} session(s) left; start the renewal.",
                )
            )
        for line in summary["lines"]:
            pct = line["percent_used"]
            if pct is not None and pct >= 80:
                conditions.append(
                    (
                        "units_high",
                        f"units80:{line['id']}",
                        f"SCA case #{case.pk}: {line['code']} has used {pct}% of its units.",
                    )
                )
        for kind, key, message in conditions:
            created[kind] += _notify(user, case, kind, key, message)

    for notification in Notification.objects.filter(emailed=False).select_related("user"):
        if notification.user.email:
            send_mail("SCA Portal reminder", notification.message, None, [notification.user.email])
        Notification.objects.filter(pk=notification.pk).update(emailed=True)
    logger.info("reminders: %s", created)
    return created


@transaction.atomic
def agreements_expire(*, today: dt.date | None = None) -> int:
    """Approved cases whose agreement ended before today become expired."""
    today = today or timezone.localdate()
    ids = list(
        Case.objects.filter(status=CaseStatus.APPROVED, agreement__end_date__lt=today).values_list(
            "pk", flat=True
        )
    )
    for case_id in ids:
        case = lock_case(case_id)
        if case.status != CaseStatus.APPROVED:
            continue
        target = check_transition(case, CaseAction.EXPIRE)
        case.status = target
        case_bump(case, ["status"])
        record_event(case, None, "expired", "The agreement ended; the case expired.")
    return len(ids)


def notification_mark_read(*, user, notification_id: int) -> Notification:
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
