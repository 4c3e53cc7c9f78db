"""Utilization against the agreement, reminders once per condition, and expiry."""

import datetime as dt

from django.core import mail
from django.utils import timezone

from cases.models import Case
from negotiations.models import Notification, UtilizationEntry
from negotiations.services.agreements import agreements_expire
from negotiations.services.reminders import reminders_run
from tests.factories import AgreementFactory, AgreementLineFactory, BillingCodeFactory, CaseFactory


def approved_agreement(world, **kwargs):
    case = CaseFactory(
        practice=world.practice,
        status="approved",
        submitted_at=timezone.now(),
        assigned_to=world.billing,
    )
    agreement = AgreementFactory(case=case, **kwargs)
    line = AgreementLineFactory(
        agreement=agreement, billing_code=BillingCodeFactory(code="97153"), units_authorized=100
    )
    return case, agreement, line


def util_url(case):
    return f"/api/v1/cases/{case.pk}/utilization/"


def test_utilization_records_and_summarizes(world, api):
    case, agreement, line = approved_agreement(world)
    today = timezone.localdate()
    for days, units in ((3, 20), (2, 20), (1, 10)):
        response = api(world.staff).post(
            util_url(case),
            {
                "service_date": (today - dt.timedelta(days=days)).isoformat(),
                "billing_code": line.billing_code_id,
                "units": units,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["over_authorized"] is False
    summary = api(world.staff).get(f"{util_url(case)}summary/").json()
    assert summary["lines"][0]["units_used"] == 50 and summary["lines"][0]["units_remaining"] == 50
    assert summary["lines"][0]["percent_used"] == "50.00"
    assert summary["sessions_used"] == 3 and summary["sessions_remaining"] == 37


def test_utilization_outside_dates_or_code_is_refused(world, api):
    case, agreement, line = approved_agreement(world)
    before = (agreement.start_date - dt.timedelta(days=1)).isoformat()
    response = api(world.staff).post(
        util_url(case),
        {"service_date": before, "billing_code": line.billing_code_id, "units": 1},
        format="json",
    )
    assert response.status_code == 400 and "service_date" in response.json()
    other = BillingCodeFactory(code="97155")
    response = api(world.staff).post(
        util_url(case),
        {"service_date": agreement.start_date.isoformat(), "billing_code": other.pk, "units": 1},
        format="json",
    )
    assert (
        response.status_code == 400 and "not in the agreement" in response.json()["billing_code"][0]
    )
    assert not UtilizationEntry.objects.exists()


def test_going_past_authorized_units_is_refused_unless_confirmed_then_flagged(world, api):
    case, agreement, line = approved_agreement(world)
    body = {
        "service_date": agreement.start_date.isoformat(),
        "billing_code": line.billing_code_id,
        "units": 101,
    }
    response = api(world.staff).post(util_url(case), body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "over_authorized"
    assert response.json()["units_authorized"] == 100 and response.json()["units_used"] == 0
    assert not UtilizationEntry.objects.exists()
    body["confirm_over_authorized"] = True
    response = api(world.staff).post(util_url(case), body, format="json")
    assert response.status_code == 201 and response.json()["over_authorized"] is True
    assert "confirm_over_authorized" not in response.json()
    summary = api(world.staff).get(f"{util_url(case)}summary/").json()
    assert (
        summary["lines"][0]["over_authorized"] is True
        and summary["lines"][0]["units_remaining"] == 0
    )


def test_utilization_without_agreement_is_refused(world, api, ready_case, aba_code):
    response = api(world.staff).post(
        util_url(ready_case),
        {"service_date": "2026-01-01", "billing_code": aba_code.pk, "units": 1},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "no_agreement"


def test_reminders_run_twice_on_the_same_day_notify_once(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    # ending within 30 days
    ending_case, ending, _ = approved_agreement(world, end_date=today + dt.timedelta(days=20))
    # 3 sessions left, and a line at 80%
    low_case, low, line = approved_agreement(world, sessions_authorized=5)
    for i in range(2):
        UtilizationEntry.objects.create(
            agreement=low,
            service_date=low.start_date + dt.timedelta(days=i),
            billing_code=line.billing_code,
            units=40,
        )
    # a follow-up due today
    due = CaseFactory(
        practice=world.practice,
        status="submitted",
        submitted_at=timezone.now(),
        follow_up_on=today,
        assigned_to=world.staff,
    )
    # nothing due
    CaseFactory(
        practice=world.practice, follow_up_on=today + dt.timedelta(days=3), assigned_to=world.staff
    )

    first = reminders_run(today=today)
    # Each condition counts once; the usage alerts go to the practice's billing managers (and
    # admins, who see the billing dashboard) and the assignee, the follow-up to its assignee.
    assert first == {
        "follow_up": 1,
        "ending_soon": 1,
        "sessions_low": 1,
        "units_high": 1,
        "units_full": 0,
        "over_authorized": 0,
        "under_use": 0,
        "appeal_due": 0,
    }
    second = reminders_run(today=today)
    assert set(second.values()) == {0}
    assert Notification.objects.count() == 1 + 3 * 2
    assert len(mail.outbox) == 7
    assert {n.user for n in Notification.objects.exclude(kind="follow_up")} == {
        world.billing,
        world.admin,
    }
    assert Notification.objects.get(kind="follow_up").case == due
    for message in mail.outbox:  # no patient data in email
        assert (
            due.client.last_name not in message.body
            and low_case.client.last_name not in message.body
        )
    # a new follow-up date is a new condition
    due.follow_up_on = today + dt.timedelta(days=1)
    due.save()
    assert reminders_run(today=today + dt.timedelta(days=1))["follow_up"] == 1


def test_notifications_api_lists_own_and_marks_read(world, api, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    CaseFactory(
        practice=world.practice,
        status="submitted",
        submitted_at=timezone.now(),
        follow_up_on=timezone.localdate(),
        assigned_to=world.staff,
    )
    reminders_run()
    mine = api(world.staff).get("/api/v1/notifications/").json()["results"]
    assert len(mine) == 1 and mine[0]["read_at"] is None
    assert api(world.billing).get("/api/v1/notifications/").json()["results"] == []
    assert (
        api(world.billing).post(f"/api/v1/notifications/{mine[0]['id']}/read/").status_code == 404
    )
    response = api(world.staff).post(f"/api/v1/notifications/{mine[0]['id']}/read/")
    assert response.status_code == 200 and response.json()["read_at"]


def test_expiry_moves_only_what_has_ended(world):
    today = timezone.localdate()
    ended_case, _, _ = approved_agreement(
        world, start_date=today - dt.timedelta(days=100), end_date=today - dt.timedelta(days=1)
    )
    last_day_case, _, _ = approved_agreement(world, end_date=today)
    running_case, _, _ = approved_agreement(world)
    assert agreements_expire(today=today) == 1
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert statuses[ended_case.pk] == "expired"
    assert statuses[last_day_case.pk] == "approved" and statuses[running_case.pk] == "approved"
    assert ended_case.events.filter(kind="expired").count() == 1
    assert agreements_expire(today=today) == 0
