"""Writes to reference data: the insurer directory (the site's operators), and each practice's
own rate policies, their rates and its SCA contacts (the practice's administrators). Who may
call which is checked by the API and the views; these keep the rules."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from billing_codes.models import Modifier
from cases.models import Insurer, InsurerContact, PolicyRate, Practice, RatePolicy
from sca_portal.exceptions import DomainError, conflict

from .common import apply_fields, clean_and_save, set_history_user

INSURER_FIELDS = [
    "name",
    "payer_id",
    "sca_phone",
    "sca_fax",
    "sca_email",
    "sca_address",
    "portal_url",
    "behavioral_health_org",
    "notes",
    "is_active",
]
POLICY_FIELDS = [
    "line_of_business",
    "effective_from",
    "effective_to",
    "kind",
    "percent",
    "reference_schedule",
    "min_network_attempts",
    "requires_consent",
    "requires_pre_treatment",
    "max_agreement_days",
    "expected_response_days",
    "submission_channel",
    "protocol_notes",
    "confirmed_with",
    "confirmed_on",
    "reference",
]
# What a new policy copies from the one in force (the period is its own), and what a revision
# may change (the line of business stays: it is the same policy's next period).
COPIED_FIELDS = [name for name in POLICY_FIELDS if name not in ("effective_from", "effective_to")]
REVISED_FIELDS = [name for name in COPIED_FIELDS if name != "line_of_business"]
# What may still be corrected on a policy cases were submitted under: ending it, and the
# record of where its terms came from. Its terms are what those cases were negotiated under.
CORRECTABLE_WHEN_USED = {"effective_to", "confirmed_with", "confirmed_on", "reference"}
# The history keeps a change's reason in 100 characters, "Ended: " included.
REASON_MAX_LENGTH = 90
CONTACT_FIELDS = ["department", "address", "fax", "email", "phone", "portal_url", "notes"]


@transaction.atomic
def insurer_create(*, actor, **data) -> Insurer:
    insurer = Insurer()
    apply_fields(insurer, data, INSURER_FIELDS)
    set_history_user(insurer, actor)
    clean_and_save(insurer)
    return insurer


@transaction.atomic
def insurer_update(*, insurer: Insurer, actor, **data) -> Insurer:
    insurer = Insurer.objects.select_for_update().get(pk=insurer.pk)
    changed = apply_fields(insurer, data, INSURER_FIELDS)
    if changed:
        set_history_user(insurer, actor)
        clean_and_save(insurer)
    return insurer


def validate_modifier(code: str, field: str = "modifier") -> str:
    code = (code or "").strip().upper()
    if code and not Modifier.objects.filter(code=code, is_active=True).exists():
        raise ValidationError({field: f"'{code}' is not an active modifier."})
    return code


def check_no_overlap(policy: RatePolicy) -> None:
    """Two policies of one practice, insurer and line of business may not be in force on the
    same day."""
    overlapping = RatePolicy.objects.filter(
        practice_id=policy.practice_id,
        insurer_id=policy.insurer_id,
        line_of_business=policy.line_of_business,
    ).exclude(pk=policy.pk)
    if policy.effective_to is not None:
        overlapping = overlapping.filter(effective_from__lte=policy.effective_to)
    overlapping = overlapping.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=policy.effective_from)
    ).first()
    if overlapping:
        end = overlapping.effective_to.isoformat() if overlapping.effective_to else "open-ended"
        raise ValidationError(
            {
                "effective_from": (
                    f"This period overlaps the practice's policy for this insurer and line "
                    f"of business from "
                    f"{overlapping.effective_from.isoformat()} to {end}; end that one first."
                )
            }
        )


def _rates_differ(policy: RatePolicy, rates: list[dict]) -> bool:
    def key(code_id, modifier, highest, reference):
        return (code_id, (modifier or "").strip().upper(), highest, reference)

    current = {
        key(r.billing_code_id, r.modifier, r.highest_network_rate, r.reference_rate)
        for r in policy.rates.all()
    }
    wanted = {
        key(
            r["billing_code"].pk,
            r.get("modifier", ""),
            r.get("highest_network_rate"),
            r.get("reference_rate"),
        )
        for r in rates
    }
    return current != wanted or len(rates) != len(current)


def _replace_rates(policy: RatePolicy, rates: list[dict], actor) -> None:
    seen: set[tuple[int, str]] = set()
    errors = []
    normalized = []
    for i, row in enumerate(rates):
        code = row["billing_code"]
        modifier = validate_modifier(row.get("modifier", ""), field=f"rates[{i}].modifier")
        key = (code.pk, modifier)
        if key in seen:
            errors.append(f"rates[{i}]: {code.code} {modifier or '(no modifier)'} is listed twice.")
        seen.add(key)
        normalized.append((key, row))
    if errors:
        raise ValidationError({"rates": errors})
    existing = {(r.billing_code_id, r.modifier): r for r in policy.rates.all()}
    for key, row in normalized:
        rate = existing.pop(key, None) or PolicyRate(
            policy=policy, billing_code_id=key[0], modifier=key[1]
        )
        changed = apply_fields(
            rate,
            {k: row.get(k) for k in ("highest_network_rate", "reference_rate")},
            ["highest_network_rate", "reference_rate"],
        )
        if rate.pk is None or changed:
            set_history_user(rate, actor)
            clean_and_save(rate)
    for stale in existing.values():
        set_history_user(stale, actor)
        stale.delete()


def _lock_insurer(insurer_id: int) -> None:
    # Serializes policy writes per insurer, so that the overlap check holds.
    Insurer.objects.select_for_update().filter(pk=insurer_id).first()


@transaction.atomic
def rate_policy_create(
    *,
    actor,
    practice: Practice,
    insurer: Insurer,
    rates: list[dict] | None = None,
    reason: str = "",
    **data,
) -> RatePolicy:
    _lock_insurer(insurer.pk)
    policy = RatePolicy(practice=practice, insurer=insurer)
    apply_fields(policy, data, POLICY_FIELDS)
    policy.full_clean()
    check_no_overlap(policy)
    set_history_user(policy, actor)
    policy._change_reason = reason.strip() or None
    policy.save()
    _replace_rates(policy, rates or [], actor)
    return policy


@transaction.atomic
def rate_policy_update(
    *, policy: RatePolicy, actor, rates: list[dict] | None = None, **data
) -> RatePolicy:
    """Correct a policy in place (the practice and insurer never change). To change terms
    from a date on, ``rate_policy_revise`` keeps the old period as it was."""
    _lock_insurer(policy.insurer_id)
    policy = RatePolicy.objects.select_for_update().get(pk=policy.pk)
    changed = apply_fields(policy, data, POLICY_FIELDS)
    terms = sorted(set(changed) - CORRECTABLE_WHEN_USED)
    if rates is not None and _rates_differ(policy, rates):
        terms.append("rates")
    if terms and policy.cases.exists():
        raise conflict(
            "in_use",
            f"Cases were submitted under this policy, so its terms ({', '.join(terms)}) stay "
            "as they were; change them from a date on instead (revise), or end the policy.",
        )
    if changed:
        policy.full_clean()
        check_no_overlap(policy)
        set_history_user(policy, actor)
        policy.save()
    if rates is not None:
        _replace_rates(policy, rates, actor)
    return policy


@transaction.atomic
def rate_policy_revise(
    *,
    policy: RatePolicy,
    actor,
    effective_from: dt.date,
    reason: str,
    rates: list[dict] | None = None,
    **data,
) -> RatePolicy:
    """New terms from ``effective_from`` on: the policy's period closes the day before and a
    new policy (its fields and rates, changed by ``data`` and ``rates``) runs to where the old
    one ended. What cases were submitted under stays exactly as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the policy changes; it goes on its history."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason to {REASON_MAX_LENGTH} characters; notes hold more."}
        )
    _lock_insurer(policy.insurer_id)
    old = RatePolicy.objects.select_for_update().get(pk=policy.pk)
    if effective_from is None or effective_from <= old.effective_from:
        raise ValidationError(
            {
                "effective_from": (
                    f"The change must take effect after the policy starts "
                    f"({old.effective_from.isoformat()}); edit the policy to correct it."
                )
            }
        )
    if old.effective_to is not None and effective_from > old.effective_to:
        raise ValidationError(
            {
                "effective_from": (
                    f"The policy ended on {old.effective_to.isoformat()}; add a new policy "
                    "for a later period instead."
                )
            }
        )
    unknown = set(data) - set(REVISED_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    ends_on = old.effective_to
    old.effective_to = effective_from - dt.timedelta(days=1)
    set_history_user(old, actor)
    old._change_reason = f"Ended: {reason}"
    old.save(update_fields=["effective_to", "updated_at"])
    if rates is None:
        rates = [
            {
                "billing_code": r.billing_code,
                "modifier": r.modifier,
                "highest_network_rate": r.highest_network_rate,
                "reference_rate": r.reference_rate,
            }
            for r in old.rates.select_related("billing_code")
        ]
    fields = {name: getattr(old, name) for name in COPIED_FIELDS}
    fields.update(data)
    return rate_policy_create(
        actor=actor,
        practice=old.practice,
        insurer=old.insurer,
        rates=rates,
        reason=reason,
        effective_from=effective_from,
        effective_to=ends_on,
        **fields,
    )


@transaction.atomic
def rate_policy_delete(*, policy: RatePolicy, actor) -> None:
    """Only a policy no case was submitted under is deleted; a used one is ended instead
    (``effective_to``), so that its cases keep reading what they were negotiated under."""
    used = policy.cases.count()
    if used:
        raise conflict(
            "in_use",
            f"{used} case(s) were submitted under this policy, so it is kept; end it by "
            "setting effective_to instead.",
        )
    set_history_user(policy, actor)
    for rate in policy.rates.all():
        set_history_user(rate, actor)
        rate.delete()
    policy.delete()


# ----------------------------------------------------------------------------- contacts


def _clean_contact(contact: InsurerContact) -> None:
    for name in CONTACT_FIELDS:
        setattr(contact, name, (getattr(contact, name) or "").strip())


@transaction.atomic
def insurer_contact_create(
    *, actor, practice: Practice, insurer: Insurer, purpose: str = "sca_request", **data
) -> InsurerContact:
    contact = InsurerContact(practice=practice, insurer=insurer, purpose=purpose)
    apply_fields(contact, data, CONTACT_FIELDS)
    _clean_contact(contact)
    set_history_user(contact, actor)
    clean_and_save(contact)
    return contact


@transaction.atomic
def insurer_contact_update(*, contact: InsurerContact, actor, **data) -> InsurerContact:
    contact = InsurerContact.objects.select_for_update().get(pk=contact.pk)
    if apply_fields(contact, data, CONTACT_FIELDS):
        _clean_contact(contact)
        set_history_user(contact, actor)
        clean_and_save(contact)
    return contact


@transaction.atomic
def insurer_contact_save(
    *, actor, practice: Practice, insurer: Insurer, purpose: str, **data
) -> InsurerContact:
    """The practice's contact for this insurer and purpose, created or changed (the page's
    one form)."""
    existing = InsurerContact.objects.filter(
        practice=practice, insurer=insurer, purpose=purpose
    ).first()
    if existing is None:
        return insurer_contact_create(
            actor=actor, practice=practice, insurer=insurer, purpose=purpose, **data
        )
    return insurer_contact_update(contact=existing, actor=actor, **data)


@transaction.atomic
def insurer_contact_delete(*, contact: InsurerContact, actor) -> None:
    set_history_user(contact, actor)
    contact.delete()


def check_insurer_open(insurer: Insurer) -> None:
    """Existing cases, clients and agreements keep an archived insurer; new cases and
    renewals may not name one."""
    if not insurer.is_active:
        raise DomainError(
            code="insurer_archived",
            detail=f"{insurer.name} is archived in the insurer directory; a new case cannot "
            "name it. Ask the site's operators if the insurer still operates.",
        )
