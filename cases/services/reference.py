"""Writes to reference data: the insurer directory (the site's operators), and each practice's
own rate policies, their rates and its SCA contacts (the practice's administrators). Who may
call which is checked by the API and the views; these keep the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Required, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from billing_codes.models import BillingCode, Modifier
from cases.models import Insurer, PolicyRate, Practice, RatePolicy
from core.exceptions import DomainError, conflict

from .common import apply_fields, clean_and_save, set_change_reason, set_history_user

# The practice's SCA contacts at an insurer are written in their own module; their names stay
# importable from here, where the reference area's doors look for them.
from .reference_contacts import CONTACT_FIELDS as CONTACT_FIELDS
from .reference_contacts import ContactData as ContactData
from .reference_contacts import insurer_contact_create as insurer_contact_create
from .reference_contacts import insurer_contact_delete as insurer_contact_delete
from .reference_contacts import insurer_contact_save as insurer_contact_save
from .reference_contacts import insurer_contact_update as insurer_contact_update

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# What a caller may set, per subject (the field lists derive from these); an update names some.
class InsurerData(TypedDict, total=False):
    name: str
    payer_id: str
    sca_phone: str
    sca_fax: str
    sca_email: str
    sca_address: str
    portal_url: str
    behavioral_health_org: str
    notes: str
    is_active: bool


class PolicyData(TypedDict, total=False):
    line_of_business: str
    effective_from: dt.date
    effective_to: dt.date | None
    kind: str
    percent: Decimal | None
    reference_schedule: str
    min_network_attempts: int
    requires_consent: bool
    requires_pre_treatment: bool
    retro_days: int
    continuity_days: int
    required_attachments: list[str]
    required_provider_documents: list[str]
    appeal_days: int | None
    renewal_requires_searches: bool
    max_agreement_days: int | None
    expected_response_days: int | None
    submission_channel: str
    protocol_notes: str
    confirmed_with: str
    confirmed_on: dt.date | None
    reference: str


class RateRow(TypedDict, total=False):  # one rate of a policy, as ``rates`` lists them
    billing_code: Required[BillingCode]
    modifier: str
    highest_network_rate: Decimal | None
    reference_rate: Decimal | None


INSURER_FIELDS = list(InsurerData.__annotations__)
POLICY_FIELDS = list(PolicyData.__annotations__)
# What a new policy copies from the one in force (the period is its own), and what a revision
# may change (the line of business stays: it is the same policy's next period).
COPIED_FIELDS = [name for name in POLICY_FIELDS if name not in ("effective_from", "effective_to")]
REVISED_FIELDS = [name for name in COPIED_FIELDS if name != "line_of_business"]
# What may still be corrected on a policy cases were submitted under: ending it, and the
# record of where its terms came from. Its terms are what those cases were negotiated under.
CORRECTABLE_WHEN_USED = {"effective_to", "confirmed_with", "confirmed_on", "reference"}
# The history keeps a change's reason in 100 characters, "Ended: " included.
REASON_MAX_LENGTH = 90


@transaction.atomic
def insurer_create(*, actor: User, data: InsurerData) -> Insurer:
    insurer = Insurer()
    apply_fields(insurer, data, INSURER_FIELDS)
    set_history_user(insurer, actor)
    clean_and_save(insurer)
    return insurer


@transaction.atomic
def insurer_update(*, insurer: Insurer, actor: User, data: InsurerData) -> Insurer:
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
    others = RatePolicy.objects.filter(
        practice_id=policy.practice_id,
        insurer_id=policy.insurer_id,
        line_of_business=policy.line_of_business,
    ).exclude(pk=policy.pk)
    if policy.effective_to is not None:
        others = others.filter(effective_from__lte=policy.effective_to)
    overlapping = others.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=policy.effective_from)
    ).first()
    if overlapping:
        end = overlapping.effective_to.isoformat() if overlapping.effective_to else "open-ended"
        start = overlapping.effective_from.isoformat()
        raise ValidationError(
            {
                "effective_from": "This period overlaps the practice's policy for this insurer "
                f"and line of business from {start} to {end}; end that one first."
            }
        )


def _rates_differ(policy: RatePolicy, rates: list[RateRow]) -> bool:
    current = {
        (r.billing_code_id, r.modifier.strip().upper(), r.highest_network_rate, r.reference_rate)
        for r in policy.rates.all()
    }
    wanted = {
        (
            r["billing_code"].pk,
            (r.get("modifier") or "").strip().upper(),
            r.get("highest_network_rate"),
            r.get("reference_rate"),
        )
        for r in rates
    }
    return current != wanted or len(rates) != len(current)


def _replace_rates(policy: RatePolicy, rates: list[RateRow], actor: User) -> None:
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
    actor: User,
    practice: Practice,
    insurer: Insurer,
    data: PolicyData,
    rates: list[RateRow] | None = None,
    reason: str = "",
) -> RatePolicy:
    policy = RatePolicy(practice=practice, insurer=insurer)
    return _create(policy, data, rates or [], actor, reason)


def _create(
    policy: RatePolicy, data: Mapping[str, object], rates: list[RateRow], actor: User, reason: str
) -> RatePolicy:
    _lock_insurer(policy.insurer_id)
    apply_fields(policy, data, POLICY_FIELDS)
    policy.full_clean()
    check_no_overlap(policy)
    set_history_user(policy, actor)
    set_change_reason(policy, reason.strip() or None)
    policy.save()
    _replace_rates(policy, rates, actor)
    return policy


@transaction.atomic
def rate_policy_update(
    *, policy: RatePolicy, actor: User, data: PolicyData, rates: list[RateRow] | None = None
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
    actor: User,
    effective_from: dt.date,
    reason: str,
    data: PolicyData | None = None,
    rates: list[RateRow] | None = None,
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
        start = old.effective_from.isoformat()
        raise ValidationError(
            {
                "effective_from": f"The change must take effect after the policy starts "
                f"({start}); edit the policy to correct it."
            }
        )
    if old.effective_to is not None and effective_from > old.effective_to:
        raise ValidationError(
            {
                "effective_from": f"The policy ended on {old.effective_to.isoformat()}; add a "
                "new policy for a later period instead."
            }
        )
    changes: PolicyData = data or {}
    unknown = set(changes) - set(REVISED_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    ends_on = old.effective_to
    old.effective_to = effective_from - dt.timedelta(days=1)
    set_history_user(old, actor)
    set_change_reason(old, f"Ended: {reason}")
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
    fields: dict[str, object] = {name: getattr(old, name) for name in COPIED_FIELDS}
    fields.update(changes)
    fields.update(effective_from=effective_from, effective_to=ends_on)
    new = RatePolicy(practice=old.practice, insurer=old.insurer)
    return _create(new, fields, rates, actor, reason)


@transaction.atomic
def rate_policy_delete(*, policy: RatePolicy, actor: User) -> None:
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


def check_insurer_open(insurer: Insurer) -> None:
    """New cases and renewals may not name an archived insurer (existing records keep it)."""
    if not insurer.is_active:
        raise DomainError(
            code="insurer_archived",
            detail=f"{insurer.name} is archived in the insurer directory; a new case cannot "
            "name it. Ask the site's operators if the insurer still operates.",
        )
