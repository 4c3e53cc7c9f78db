"""The appeal deadline's reminders (DESIGN.md rule 11): 14 and 3 days before each deadline,
once, to the case's assignee (else its creator) and the practice's billing members, naming the
case number, the level and the date, never the client."""

import datetime as dt

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from negotiations.models import Notification
from negotiations.selectors.reminders import appeals_due
from negotiations.services.reminders import reminders_run
from tests.factories import (
    CaseFactory,
    MembershipFactory,
    RatePolicyFactory,
    UserFactory,
)

TODAY = timezone.localdate


def ago(days: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days)


def later(days: int) -> dt.date:
    return TODAY() + dt.timedelta(days=days)


def denied(world, *, received_days_ago, category="not_medically_necessary", practice=None, **kw):
    """A commercial case of Bright Path (or ``practice``) denied ``received_days_ago`` days ago."""
    practice = practice or world.practice
    case = CaseFactory(
        practice=practice,
        status="submitted",
        submitted_at=timezone.now() - dt.timedelta(days=received_days_ago + 1),
        created_by=world.staff if practice == world.practice else None,
        **kw,
    )
    case_deny(
        case_id=case.pk,
        actor=world.staff,
        reason="Not medically necessary.",
        reason_category=category,
        received_on=ago(received_days_ago),
    )
    return Case.objects.get(pk=case.pk)


def appeal_notices():
    return Notification.objects.filter(kind="appeal_due")


def test_appeal_deadline_reminded_14_and_3_days_before_once(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = denied(world, received_days_ago=166, assigned_to=world.staff)  # due in 14 days
    due = later(14).isoformat()

    # the assignee, the billing manager and the admin
    assert reminders_run(today=TODAY())["appeal_due"] == 3
    assert reminders_run(today=TODAY())["appeal_due"] == 0  # once
    assert reminders_run(today=later(1))["appeal_due"] == 0  # 13 days: the same reminder
    assert reminders_run(today=later(11))["appeal_due"] == 3  # 3 days before
    assert reminders_run(today=later(12))["appeal_due"] == 0
    assert reminders_run(today=later(15))["appeal_due"] == 0  # past the deadline

    keys = set(appeal_notices().values_list("key", flat=True))
    assert keys == {
        f"appeal_due:{case.pk}:internal_1:{due}:14",
        f"appeal_due:{case.pk}:internal_1:{due}:3",
    }
    assert {n.case_id for n in appeal_notices()} == {case.pk}


def test_appeal_reminder_goes_to_billing_and_the_assignee(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assignee = MembershipFactory(practice=world.practice, role="staff").user
    second_billing = MembershipFactory(practice=world.practice, role="billing").user
    MembershipFactory(practice=world.other_practice, role="billing")  # Harbor's: not told
    MembershipFactory(
        practice=world.practice, role="billing", user=UserFactory(is_active=False)
    )  # a former colleague
    denied(world, received_days_ago=166, assigned_to=assignee)
    reminders_run(today=TODAY())
    told = set(appeal_notices().values_list("user", flat=True))
    # the assignee (not the creator, demo_staff), every member who may file: billing, admin
    assert told == {assignee.pk, world.billing.pk, second_billing.pk, world.admin.pk}


def test_an_unassigned_case_reminds_its_creator(world):
    denied(world, received_days_ago=166)
    reminders_run(today=TODAY())
    assert set(appeal_notices().values_list("user", flat=True)) == {
        world.staff.pk,
        world.billing.pk,
        world.admin.pk,
    }


def test_appeal_reminder_names_the_case_level_and_date_without_client(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = denied(world, received_days_ago=177)  # 3 days left
    reminders_run(today=TODAY())
    notice = appeal_notices().get(user=world.billing)
    assert notice.message == (
        f"SCA case #{case.pk}: Internal appeal (first level) due by "
        f"{later(3).isoformat()} (3 day(s) left)."
    )
    assert notice.key.endswith(":3")  # the nearest reminder only, not the 14-day one too
    client = case.client
    sent = [m for m in mail.outbox if f"#{case.pk}" in m.body]
    assert len(sent) == 3
    for text in [notice.message, *(m.body for m in sent), *(m.subject for m in sent)]:
        for private in (client.first_name, client.last_name, client.member_id):
            assert private not in text


def test_no_reminder_for_an_appealed_a_not_appealable_or_a_distant_deadline(world):
    pending = denied(world, received_days_ago=166)
    appeal_file(case_id=pending.pk, actor=world.billing, level="internal_1")
    denied(world, received_days_ago=166, category="contract_refused")
    denied(world, received_days_ago=10)  # 170 days left
    denied(world, received_days_ago=200)  # past
    assert appeals_due(TODAY()) == []
    assert reminders_run(today=TODAY())["appeal_due"] == 0


def test_appeal_reminder_follows_the_policy_appeal_days(world, insurer):
    policy = RatePolicyFactory(practice=world.practice, insurer=insurer, appeal_days=30)
    # one case recorded the policy at submission, the other finds it in force that day
    recorded = denied(world, received_days_ago=16, insurer=insurer, rate_policy=policy)
    in_force = denied(world, received_days_ago=16, insurer=insurer)
    assert in_force.rate_policy_id is None
    due = appeals_due(TODAY())
    assert sorted((d.case.pk, d.due_on, d.days) for d in due) == [
        (recorded.pk, later(14), 14),
        (in_force.pk, later(14), 14),
    ]


def test_the_next_level_after_an_upheld_one_is_reminded(world):
    case = denied(world, received_days_ago=100)
    appeal, _ = appeal_file(
        case_id=case.pk, actor=world.billing, level="internal_1", filed_on=ago(90)
    )
    appeal_decide(
        case_id=case.pk,
        appeal_id=appeal.pk,
        actor=world.billing,
        outcome="upheld",
        decided_on=ago(46),
    )
    # the optional second level is due 60 days after the decision; external review in 4 months
    due = appeals_due(TODAY())
    assert [(d.level, d.due_on, d.days) for d in due] == [("internal_2", later(14), 14)]


def test_appeals_due_query_count_does_not_grow(world, insurer):
    RatePolicyFactory(practice=world.practice, insurer=insurer, appeal_days=30)
    denied(world, received_days_ago=16, insurer=insurer)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = appeals_due(TODAY())
        return len(queries.captured_queries), len(found)

    one = count()
    for _ in range(3):
        denied(world, received_days_ago=166, assigned_to=world.billing)
        denied(world, received_days_ago=16, insurer=insurer)  # the policy's 30 days
        denied(world, received_days_ago=166, practice=world.other_practice)
    MembershipFactory(practice=world.other_practice, role="billing")
    many = count()
    assert one[1] == 1 and many[1] == 10
    # the cases with their appeals, their policies, the members who file appeals
    assert one[0] == many[0] == 4
