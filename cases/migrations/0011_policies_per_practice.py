"""Rate policies become the practice's own (issue 13).

Every practice gets its own copy of every shared policy, with its rates, whatever its period
(past, in force or future): a past policy is the one older cases were negotiated under, a
future one is what a practice expected to apply, and the insurer pages showed every practice
all of them before. Each copy starts its own history with one "created" row that says where it
came from; the shared original is then deleted. Its history rows keep no practice, so no
practice's audit shows another practice's administrators' past edits of the shared policy (a
backup keeps them). Each submitted case records the copy of its own practice that was in force
on the day it was submitted (``Case.rate_policy``), as the code looked it up before. So nothing a
case reads changes.

Not reversible: once practices own their policies they may disagree about one insurer, and
merging them back into one shared policy would silently give every practice one practice's
rates and protocol. Restore a backup instead.
"""

import datetime as dt

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError
from django.db.models import Q
from django.utils import timezone

POLICY_FIELDS = [
    "insurer_id", "line_of_business", "effective_from", "effective_to", "kind", "percent",
    "reference_schedule", "min_network_attempts", "requires_consent", "requires_pre_treatment",
    "max_agreement_days", "expected_response_days", "submission_channel", "protocol_notes",
    "confirmed_with", "confirmed_on", "reference",
]  # fmt: skip
RATE_FIELDS = ["billing_code_id", "modifier", "highest_network_rate", "reference_rate"]


def in_force(policies, on: dt.date):
    """The shared rule of the time: from ``effective_from`` through ``effective_to``, the
    latest start first."""
    candidates = [
        p
        for p in policies
        if p.effective_from <= on and (p.effective_to is None or p.effective_to >= on)
    ]
    return max(candidates, key=lambda p: p.effective_from, default=None)


def forward(apps, schema_editor):
    RatePolicy = apps.get_model("cases", "RatePolicy")
    HistoricalRatePolicy = apps.get_model("cases", "HistoricalRatePolicy")
    PolicyRate = apps.get_model("cases", "PolicyRate")
    Practice = apps.get_model("cases", "Practice")
    Case = apps.get_model("cases", "Case")

    shared = list(RatePolicy.objects.filter(practice__isnull=True).order_by("id"))
    if not shared:
        return
    practice_ids = list(Practice.objects.order_by("id").values_list("id", flat=True))
    if not practice_ids:
        # No practice, so no case: nobody relies on these policies.
        PolicyRate.objects.filter(policy__in=shared).delete()
        RatePolicy.objects.filter(pk__in=[p.pk for p in shared]).delete()
        return

    HistoricalPolicyRate = apps.get_model("cases", "HistoricalPolicyRate")
    now = timezone.now()
    # (original policy id, practice id) -> that practice's policy id
    copy_of: dict[tuple[int, int], int] = {}
    for policy in shared:
        rates = list(PolicyRate.objects.filter(policy_id=policy.pk).order_by("id"))
        reason = f"Copied from shared policy #{policy.pk} when policies became each practice's"
        for practice_id in practice_ids:
            fields = {f: getattr(policy, f) for f in POLICY_FIELDS}
            copy = RatePolicy.objects.create(practice_id=practice_id, **fields)
            # The same terms since the same day: the copy is not a newer policy.
            RatePolicy.objects.filter(pk=copy.pk).update(created_at=policy.created_at)
            HistoricalRatePolicy.objects.create(
                id=copy.pk,
                practice_id=practice_id,
                created_at=policy.created_at,
                updated_at=copy.updated_at,
                history_date=now,
                history_type="+",
                history_change_reason=reason[:100],
                **fields,
            )
            copied = PolicyRate.objects.bulk_create(
                [
                    PolicyRate(policy_id=copy.pk, **{f: getattr(r, f) for f in RATE_FIELDS})
                    for r in rates
                ]
            )
            HistoricalPolicyRate.objects.bulk_create(
                [
                    HistoricalPolicyRate(
                        id=r.pk,
                        policy_id=copy.pk,
                        history_date=now,
                        history_type="+",
                        history_change_reason=reason[:100],
                        **{f: getattr(r, f) for f in RATE_FIELDS},
                    )
                    for r in copied
                ]
            )
            copy_of[(policy.pk, practice_id)] = copy.pk
    PolicyRate.objects.filter(policy__in=shared).delete()
    RatePolicy.objects.filter(pk__in=[p.pk for p in shared]).delete()

    by_insurer: dict[int, list] = {}
    for policy in shared:
        by_insurer.setdefault(policy.insurer_id, []).append(policy)
    targets: dict[int, list[int]] = {}
    submitted = (
        Case.objects.filter(submitted_at__isnull=False, rate_policy__isnull=True)
        .filter(Q(insurer_id__in=by_insurer.keys()))
        .values_list("id", "practice_id", "insurer_id", "submitted_at")
    )
    for case_id, practice_id, insurer_id, submitted_at in submitted.iterator(chunk_size=5000):
        policy = in_force(by_insurer[insurer_id], timezone.localdate(submitted_at))
        if policy is not None:
            targets.setdefault(copy_of[(policy.pk, practice_id)], []).append(case_id)
    for policy_id, case_ids in targets.items():
        for start in range(0, len(case_ids), 5000):
            Case.objects.filter(pk__in=case_ids[start : start + 5000]).update(
                rate_policy_id=policy_id
            )


def backward(apps, schema_editor):
    raise IrreversibleError(
        "Rate policies now belong to practices, which may disagree about one insurer; "
        "merging them back into one shared policy would give every practice one practice's "
        "rates. Restore the database from a backup taken before this migration instead."
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_practice_reference_data")]

    operations = [migrations.RunPython(forward, backward)]
