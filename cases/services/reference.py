"""Writes to shared reference data: insurers and their dated rate policies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from billing_codes.models import Modifier
from cases.models import Insurer, PolicyRate, RatePolicy

from .common import apply_fields, clean_and_save, set_history_user

INSURER_FIELDS = [
    "name",
    "payer_id",
    "sca_phone",
    "sca_fax",
    "sca_email",
    "sca_address",
    "portal_url",
    "notes",
    "is_active",
]
POLICY_FIELDS = [
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
]


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
    """Two policies of one insurer may not be in force on the same day."""
    overlapping = RatePolicy.objects.filter(insurer_id=policy.insurer_id).exclude(pk=policy.pk)
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
                    f"This period overlaps the insurer's policy from "
                    f"{overlapping.effective_from.isoformat()} to {end}; end that one first."
                )
            }
        )


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


@transaction.atomic
def rate_policy_create(
    *, actor, insurer: Insurer, rates: list[dict] | None = None, **data
) -> RatePolicy:
    # Locking the insurer serializes policy writes per insurer so the overlap check holds.
    Insurer.objects.select_for_update().get(pk=insurer.pk)
    policy = RatePolicy(insurer=insurer)
    apply_fields(policy, data, POLICY_FIELDS)
    policy.full_clean()
    check_no_overlap(policy)
    set_history_user(policy, actor)
    policy.save()
    _replace_rates(policy, rates or [], actor)
    return policy


@transaction.atomic
def rate_policy_update(
    *, policy: RatePolicy, actor, rates: list[dict] | None = None, **data
) -> RatePolicy:
    Insurer.objects.select_for_update().get(pk=policy.insurer_id)
    policy = RatePolicy.objects.select_for_update().get(pk=policy.pk)
    changed = apply_fields(policy, data, POLICY_FIELDS)
    if changed:
        policy.full_clean()
        check_no_overlap(policy)
        set_history_user(policy, actor)
        policy.save()
    if rates is not None:
        _replace_rates(policy, rates, actor)
    return policy


@transaction.atomic
def rate_policy_delete(*, policy: RatePolicy, actor) -> None:
    set_history_user(policy, actor)
    for rate in policy.rates.all():
        set_history_user(rate, actor)
        rate.delete()
    policy.delete()
