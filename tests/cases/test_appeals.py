"""The appeal rules (DESIGN.md rule 11) and the appeal transitions of the lifecycle: deadlines
by line of business and policy, which level may be filed, what an appeal warns about, and what
becomes of the pending level when the insurer upholds, reverses or the practice withdraws."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Appeal, Case
from cases.selectors.appeals import add_months, appeal_deadline, appeal_options, appeal_state
from cases.selectors.reference import case_policy
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from core.exceptions import DomainError
from tests.factories import CaseAttachmentFactory

TODAY = timezone.localdate


def ago(days: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days)


def denied(case: Case, actor, *, received_days_ago=0, line="commercial", category=None) -> Case:
    """The case submitted a day before the denial, denied ``received_days_ago`` days ago."""
    case.client.line_of_business = line
    case.client.save()
    case.status = "submitted"
    case.submitted_at = timezone.now() - dt.timedelta(days=received_days_ago + 1)
    case.save()
    case_deny(
        case_id=case.pk,
        actor=actor,
        reason="Not medically necessary.",
        reason_category=category or "not_medically_necessary",
        received_on=ago(received_days_ago),
    )
    return Case.objects.get(pk=case.pk)


def file(case: Case, actor, level: str, **extra):
    return appeal_file(case_id=case.pk, actor=actor, level=level, **extra)


def uphold(case: Case, actor, appeal: Appeal, days_ago=0) -> Case:
    appeal_decide(
        case_id=case.pk,
        appeal_id=appeal.pk,
        actor=actor,
        outcome="upheld",
        decided_on=ago(days_ago),
    )
    return Case.objects.get(pk=case.pk)


def options(case: Case) -> list[tuple[str, dt.date, bool]]:
    fresh = Case.objects.get(pk=case.pk)
    return [
        (o.level, o.due_on, o.optional)
        for o in appeal_options(fresh, list(fresh.appeals.all()), case_policy(fresh))
    ]


# ----------------------------------------------------------------------------- deadlines


def test_appeal_deadline_commercial_180_days(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=10)
    due = ago(10) + dt.timedelta(days=180)
    # the first internal level only: the optional second comes after it
    assert options(case) == [("internal_1", due, False)]
    assert appeal_state(case).deadline == due
    appeal, _ = file(case, world.billing, "internal_1")
    assert appeal.due_on == due and appeal.late is False


def test_appeal_deadline_medicaid_60_then_fair_hearing_120(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=40, line="medicaid")
    assert options(case) == [("internal_1", ago(40) + dt.timedelta(days=60), False)]
    appeal, _ = file(case, world.billing, "internal_1", filed_on=ago(30))
    case = uphold(case, world.billing, appeal, days_ago=5)
    # the State Fair Hearing counts from the plan's decision, not from the denial
    assert options(case) == [("state_fair_hearing", ago(5) + dt.timedelta(days=120), False)]
    hearing, _ = file(case, world.billing, "state_fair_hearing")
    assert hearing.due_on == ago(5) + dt.timedelta(days=120)


def test_appeal_deadline_tricare_reconsideration_90(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=3, line="tricare")
    assert options(case) == [("reconsideration", ago(3) + dt.timedelta(days=90), False)]
    appeal, _ = file(case, world.billing, "reconsideration")
    assert appeal.due_on == ago(3) + dt.timedelta(days=90)
    case = uphold(case, world.billing, appeal)
    assert options(case) == []  # TRICARE has one level here
    assert appeal_state(case).deadline is None


def test_policy_appeal_days_overrides_first_level(world, api, ready_case, policy):
    policy.appeal_days = 30
    policy.save()
    case = denied(ready_case, world.staff, received_days_ago=10)
    assert case_policy(case) == policy
    assert options(case) == [("internal_1", ago(10) + dt.timedelta(days=30), False)]
    detail = api(world.staff).get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["appeal_deadline"] == (ago(10) + dt.timedelta(days=30)).isoformat()
    appeal, _ = file(case, world.billing, "internal_1", filed_on=ago(8))
    assert appeal.due_on == ago(10) + dt.timedelta(days=30)
    case = uphold(case, world.billing, appeal, days_ago=2)
    # only the first level's days give way to the policy
    assert options(case) == [
        ("internal_2", ago(2) + dt.timedelta(days=60), True),
        ("external_review", add_months(ago(2), 4), False),
    ]


def test_external_review_within_4_months_of_final_internal_denial(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=100)
    first, _ = file(case, world.billing, "internal_1", filed_on=ago(90))
    case = uphold(case, world.billing, first, days_ago=60)
    assert options(case) == [
        ("internal_2", ago(60) + dt.timedelta(days=60), True),
        ("external_review", add_months(ago(60), 4), False),
    ]
    second, _ = file(case, world.billing, "internal_2", filed_on=ago(50))
    case = uphold(case, world.billing, second, days_ago=20)
    # the final internal denial is the second level's: four months from it
    assert options(case) == [("external_review", add_months(ago(20), 4), False)]
    review, _ = file(case, world.billing, "external_review")
    assert review.due_on == add_months(ago(20), 4)


def test_external_review_within_4_months_when_the_optional_second_level_is_skipped(
    world, ready_case
):
    case = denied(ready_case, world.staff, received_days_ago=100)
    first, _ = file(case, world.billing, "internal_1", filed_on=ago(90))
    case = uphold(case, world.billing, first, days_ago=60)
    review, _ = file(case, world.billing, "external_review")
    assert review.due_on == add_months(ago(60), 4) and review.late is False
    case.refresh_from_db()
    assert case.status == "appealed"


def test_four_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(dt.date(2025, 10, 31), 4) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2023, 10, 31), 4) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 9, 15), 4) == dt.date(2026, 1, 15)


# ----------------------------------------------------------------------------- transitions


def test_appeal_moves_denied_to_appealed(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=5)
    appeal, _ = file(case, world.billing, "internal_1", channel="fax", reference="APL-1")
    case.refresh_from_db()
    assert case.status == "appealed"
    assert (appeal.level, appeal.outcome, appeal.filed_on) == ("internal_1", "pending", TODAY())
    assert appeal.created_by == world.billing
    assert case.follow_up_on == TODAY() + dt.timedelta(days=30)  # an appeal's decision time
    event = case.events.latest("id")
    assert event.kind == "appealed" and event.actor == world.billing
    assert event.data["level"] == "internal_1" and event.data["late"] is False
    # while it is pending nothing else may be filed and no deadline runs
    assert appeal_deadline(case) is None and options(case) == []


def test_expedited_appeal_follows_up_in_72_hours(world, ready_case):
    case = denied(ready_case, world.staff)
    file(case, world.billing, "internal_1", expedited=True)
    case.refresh_from_db()
    assert case.follow_up_on == TODAY() + dt.timedelta(days=3)
    assert "expedited" in case.events.latest("id").message


def test_late_appeal_allowed_and_flagged_appeal_late(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=70, line="medicaid")
    appeal, warnings = file(case, world.billing, "internal_1")
    assert appeal.late is True and appeal.due_on == ago(10)
    assert "appeal_late" in {w.code for w in warnings}
    event = Case.objects.get(pk=case.pk).events.latest("id")
    assert event.kind == "appealed" and event.data["late"] is True
    assert "appeal_late" in event.message and ago(10).isoformat() in event.message


def test_an_appeal_on_time_is_not_late(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=20, line="medicaid")
    appeal, warnings = file(case, world.billing, "internal_1")
    assert appeal.late is False and "appeal_late" not in {w.code for w in warnings}


def test_contract_refused_is_not_appealable(world, ready_case):
    case = denied(ready_case, world.staff, category="contract_refused")
    state = appeal_state(case)
    assert state.appealable is False and state.options == [] and state.deadline is None
    with pytest.raises(DomainError) as refused:
        file(case, world.billing, "internal_1")
    assert refused.value.code == "not_appealable" and refused.value.status == 409
    assert not Appeal.objects.exists()


def test_upheld_returns_case_to_denied_and_next_level_may_be_filed(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=30)
    first, _ = file(case, world.billing, "internal_1", filed_on=ago(20))
    case = uphold(case, world.billing, first, days_ago=1)
    first.refresh_from_db()
    assert case.status == "denied"
    assert (first.outcome, first.decided_on) == ("upheld", ago(1))
    assert case.events.latest("id").kind == "appeal_decided"
    second, _ = file(case, world.billing, "internal_2")
    case.refresh_from_db()
    assert case.status == "appealed" and second.due_on == ago(1) + dt.timedelta(days=60)


def test_a_withdrawn_level_ends_the_appeals(world, ready_case):
    case = denied(ready_case, world.staff)
    appeal, _ = file(case, world.billing, "internal_1")
    appeal_decide(case_id=case.pk, appeal_id=appeal.pk, actor=world.billing, outcome="withdrawn")
    case.refresh_from_db()
    assert case.status == "denied" and options(case) == []


def test_a_decided_level_is_not_decided_again(world, ready_case):
    case = denied(ready_case, world.staff)
    appeal, _ = file(case, world.billing, "internal_1")
    uphold(case, world.billing, appeal)
    with pytest.raises(DomainError) as refused:
        uphold(case, world.billing, appeal)
    assert refused.value.code == "appeal_decided"


def test_overturned_by_approve_from_appealed(world, api, ready_case):
    case = denied(ready_case, world.staff)
    appeal, _ = file(case, world.billing, "internal_1")
    response = api(world.billing).post(
        f"/api/v1/cases/{case.pk}/approve/", {"authorization_number": "AUTH-77"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    case.refresh_from_db()
    appeal.refresh_from_db()
    assert case.agreement.authorization_number == "AUTH-77"
    assert list(case.agreement.lines.values_list("billing_code__code", flat=True)) == ["97153"]
    assert (appeal.outcome, appeal.decided_on) == ("overturned", TODAY())
    assert "appeal_decided" in set(case.events.values_list("kind", flat=True))


def test_reversed_with_offer_moves_appealed_to_in_negotiation(world, api, ready_case, aba_code):
    case = denied(ready_case, world.staff)
    appeal, _ = file(case, world.billing, "internal_1")
    body = {
        "party": "insurer",
        "channel": "phone",
        "lines": [{"billing_code": aba_code.pk, "rate": "14.00", "units": 400}],
    }
    response = api(world.billing).post(f"/api/v1/cases/{case.pk}/offers/", body, format="json")
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    appeal.refresh_from_db()
    assert case.status == "in_negotiation" and appeal.outcome == "overturned"


def test_withdraw_from_appealed_withdraws_pending_appeal(world, api, ready_case):
    case = denied(ready_case, world.staff)
    appeal, _ = file(case, world.billing, "internal_1")
    response = api(world.staff).post(
        f"/api/v1/cases/{case.pk}/withdraw/", {"reason": "Family moved."}, format="json"
    )
    assert response.status_code == 200, response.content
    appeal.refresh_from_db()
    assert response.json()["status"] == "withdrawn"
    assert (appeal.outcome, appeal.decided_on) == ("withdrawn", TODAY())


# ----------------------------------------------------------------------------- warnings


def test_authorized_representative_warning(world, ready_case):
    case = denied(ready_case, world.staff)
    _, warnings = file(case, world.billing, "internal_1")
    missing = [w for w in warnings if w.code == "authorized_representative_missing"]
    assert len(missing) == 1 and missing[0].severity == "warning"
    assert "Medicaid" not in missing[0].detail

    other = denied(
        Case.objects.get(pk=_another_ready_case(world, ready_case)), world.staff, line="medicaid"
    )
    CaseAttachmentFactory(case=other, kind="authorized_representative")
    _, warnings = file(other, world.billing, "internal_1")
    assert "authorized_representative_missing" not in {w.code for w in warnings}


def test_medicaid_appeal_without_the_form_names_the_enrollees_consent(world, ready_case):
    case = denied(ready_case, world.staff, line="medicaid")
    _, warnings = file(case, world.billing, "internal_1")
    (missing,) = [w for w in warnings if w.code == "authorized_representative_missing"]
    assert "written consent" in missing.detail


def test_medicaid_continuation_of_benefits_warning(world, ready_case):
    # filed 12 days after the denial: benefits do not continue during the appeal
    case = denied(ready_case, world.staff, received_days_ago=12, line="medicaid")
    _, warnings = file(case, world.billing, "internal_1")
    (continuation,) = [w for w in warnings if w.code == "continuation_of_benefits"]
    assert ago(2).isoformat() in continuation.detail and "10 days" in continuation.detail


def test_continuation_of_benefits_is_no_warning_within_10_days_or_off_medicaid(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=9, line="medicaid")
    _, warnings = file(case, world.billing, "internal_1")
    assert "continuation_of_benefits" not in {w.code for w in warnings}
    other = denied(
        Case.objects.get(pk=_another_ready_case(world, ready_case)),
        world.staff,
        received_days_ago=40,
    )
    _, warnings = file(other, world.billing, "internal_1")
    assert "continuation_of_benefits" not in {w.code for w in warnings}


def _another_ready_case(world, ready_case) -> int:
    from tests.factories import CaseFactory, RequestedServiceFactory

    case = CaseFactory(practice=world.practice, insurer=ready_case.insurer, created_by=world.staff)
    RequestedServiceFactory(case=case, billing_code=ready_case.services.get().billing_code)
    return case.pk


def test_a_denial_rejects_the_open_offer(world, api, ready_case, aba_code):
    ready_case.status = "submitted"
    ready_case.submitted_at = timezone.now() - dt.timedelta(days=2)
    ready_case.save()
    body = {
        "party": "insurer",
        "channel": "phone",
        "lines": [{"billing_code": aba_code.pk, "rate": "14.00", "units": 400}],
    }
    response = api(world.billing).post(
        f"/api/v1/cases/{ready_case.pk}/offers/", body, format="json"
    )
    assert response.status_code == 201, response.content
    case_deny(
        case_id=ready_case.pk,
        actor=world.staff,
        reason="Network adequate.",
        reason_category="in_network_available",
    )
    assert list(ready_case.offers.values_list("status", flat=True)) == ["rejected"]


def test_a_lapsed_optional_level_leaves_the_external_review(world, ready_case):
    case = denied(ready_case, world.staff, received_days_ago=120)
    first, _ = file(case, world.billing, "internal_1", filed_on=ago(110))
    case = uphold(case, world.billing, first, days_ago=70)
    # internal_2 was due 10 days ago: it is gone; the external review is due in 4 months.
    assert options(case) == [("external_review", add_months(ago(70), 4), False)]
    assert appeal_deadline(case, policy=case_policy(case)) == add_months(ago(70), 4)


def test_a_case_denied_again_after_an_overturn_appeals_afresh(world, api, ready_case, aba_code):
    case = denied(ready_case, world.staff, received_days_ago=20)
    file(case, world.billing, "internal_1", filed_on=ago(10))
    body = {
        "party": "insurer",
        "channel": "phone",
        "lines": [{"billing_code": aba_code.pk, "rate": "14.00", "units": 400}],
    }
    assert (
        api(world.billing).post(f"/api/v1/cases/{case.pk}/offers/", body, format="json").status_code
        == 201
    )
    case_deny(
        case_id=case.pk,
        actor=world.staff,
        reason="No agreement on the rate.",
        reason_category="not_medically_necessary",
    )
    case.refresh_from_db()
    assert [o[0] for o in options(case)] == ["internal_1"]
    again, _ = file(case, world.billing, "internal_1")
    assert again.denied_at == case.decided_at and case.appeals.count() == 2
