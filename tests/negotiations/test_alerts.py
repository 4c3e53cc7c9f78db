"""Usage alerts, live: recording use (or writing an agreement, or the daily run) evaluates each
rule at once and notifies billing and the assignee once per condition; emails carry the case
number only; the billing dashboard shows every code that crossed, with the client's initials.
And the usage rules: no future service dates; past the authorization only when confirmed."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models.audit import AccessLog
from negotiations.models import EmailOutbox, Notification, UtilizationEntry
from negotiations.selectors.alerts import calendar_period
from negotiations.services.alerts import alerts_evaluate
from negotiations.services.reminders import reminders_run
from negotiations.services.utilization import utilization_record
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseFactory,
    ClientFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def running(world, *, start=None, end=None, sessions=None, lines=(("97153", 100, "total"),)):
    """An approved case of Jamie Morgan's, assigned to demo_staff, with its agreement."""
    client = ClientFactory(practice=world.practice, first_name="Jamie", last_name="Morgan")
    case = CaseFactory(
        practice=world.practice,
        client=client,
        insurer=client.insurer,
        status="approved",
        submitted_at=timezone.now(),
        assigned_to=world.staff,
        created_by=world.staff,
    )
    agreement = AgreementFactory(
        case=case,
        start_date=start or today() - dt.timedelta(days=30),
        end_date=end or today() + dt.timedelta(days=150),
        sessions_authorized=sessions,
    )
    made = [
        AgreementLineFactory(
            agreement=agreement,
            billing_code=BillingCodeFactory(code=code),
            units_authorized=units,
            unit_period=period,
        )
        for code, units, period in lines
    ]
    return case, agreement, made


def use(world, case, line, units, *, on=None, confirm=False):
    return utilization_record(
        case_id=case.pk,
        actor=world.staff,
        service_date=on or today() - dt.timedelta(days=1),
        billing_code=line.billing_code,
        units=units,
        confirm_over_authorized=confirm,
    )


def kinds(case) -> list[str]:
    return sorted(set(Notification.objects.filter(case=case).values_list("kind", flat=True)))


# ----------------------------------------------------------------------------- the rules


def test_80_percent_of_a_codes_units_notifies_at_once(world):
    case, _, (line,) = running(world)
    use(world, case, line, 79)
    assert kinds(case) == []
    use(world, case, line, 1)
    notice = Notification.objects.filter(case=case, kind="units_high").first()
    assert notice is not None and notice.key == f"units80:{line.pk}"
    assert notice.message == f"SCA case #{case.pk}: 97153 has used 80% of its authorized units."
    assert notice.detail["used"] == 80 and notice.detail["authorized"] == 100
    assert notice.detail["description"].startswith("Adaptive behavior treatment")


def test_100_percent_of_a_codes_units_notifies_the_highest_reached_only(world):
    case, _, (line,) = running(world)
    use(world, case, line, 100)
    assert kinds(case) == ["units_full"]


def test_over_authorization_is_refused_then_confirmed_and_notified(world):
    case, _, (line,) = running(world)
    use(world, case, line, 60)
    with pytest.raises(Exception) as refused:
        use(world, case, line, 41)
    assert getattr(refused.value, "code", "") == "over_authorized"
    assert UtilizationEntry.objects.count() == 1
    use(world, case, line, 41, confirm=True)
    assert "over_authorized" in kinds(case)
    assert UtilizationEntry.objects.filter(over_authorized=True).count() == 1


def test_sessions_low_notifies_with_3_sessions_left(world):
    case, _, (line,) = running(world, sessions=5)
    use(world, case, line, 2, on=today() - dt.timedelta(days=2))
    assert "sessions_low" not in kinds(case)
    use(world, case, line, 2, on=today() - dt.timedelta(days=1))
    assert "sessions_low" in kinds(case)


def test_ending_soon_notifies_within_30_days(world):
    case, agreement, _ = running(world, end=today() + dt.timedelta(days=30))
    assert alerts_evaluate(case_id=case.pk) == 1
    notice = Notification.objects.get(case=case, user=world.billing)
    assert notice.kind == "ending_soon"
    assert notice.key == f"ending:{agreement.pk}:{agreement.end_date.isoformat()}"
    later, _, _ = running(world, end=today() + dt.timedelta(days=31))
    assert alerts_evaluate(case_id=later.pk) == 0


def test_under_use_notifies_below_half_with_a_quarter_of_the_period_left(world):
    start, end = today() - dt.timedelta(days=89), today() + dt.timedelta(days=10)  # 100 days
    case, _, (line,) = running(world, start=start, end=end)
    use(world, case, line, 49)
    assert "under_use" in kinds(case)
    notice = Notification.objects.filter(case=case, kind="under_use").first()
    assert notice.detail["used"] == 49 and notice.detail["days_left"] == 11
    busy, _, (busy_line,) = running(world, start=start, end=end)
    use(world, busy, busy_line, 50)
    assert "under_use" not in kinds(busy)
    # With more than a quarter left, it is too soon to tell.
    early, _, (early_line,) = running(world, start=start, end=today() + dt.timedelta(days=40))
    use(world, early, early_line, 10)
    assert "under_use" not in kinds(early)


def test_per_week_caps_are_checked_within_the_week_and_do_not_roll_over(world):
    monday, sunday = calendar_period("per_week", today())
    last_week = monday - dt.timedelta(days=3)
    case, _, (line,) = running(
        world, start=monday - dt.timedelta(days=60), lines=(("97153", 10, "per_week"),)
    )
    use(world, case, line, 2, on=last_week)  # 8 units of last week unused
    use(world, case, line, 10, on=today())
    full = Notification.objects.get(case=case, kind="units_full", user=world.billing)
    assert full.key == f"units100:{line.pk}:{monday.isoformat()}"
    assert full.detail["period_start"] == monday.isoformat()
    assert f"for the week of {monday.isoformat()}" in full.message
    # Last week's unused units do not carry over: one more unit this week is past the cap.
    with pytest.raises(Exception) as refused:
        use(world, case, line, 1, on=today())
    assert getattr(refused.value, "code", "") == "over_authorized"
    # Over the whole agreement it is far below its units, and no total alert fired.
    assert kinds(case) == ["units_full"]


def test_per_month_caps_are_checked_within_the_calendar_month(world):
    first, last = calendar_period("per_month", today())
    assert first.day == 1 and (last + dt.timedelta(days=1)).day == 1
    case, _, (line,) = running(
        world, start=first - dt.timedelta(days=70), lines=(("97153", 20, "per_month"),)
    )
    use(world, case, line, 16, on=today())
    notice = Notification.objects.get(case=case, kind="units_high", user=world.billing)
    assert notice.key == f"units80:{line.pk}:{first.isoformat()}"


def test_each_condition_notifies_once(world):
    case, _, (line,) = running(world, end=today() + dt.timedelta(days=20))
    use(world, case, line, 85)
    count = Notification.objects.count()
    assert alerts_evaluate(case_id=case.pk) == 0
    assert reminders_run(today=today())["units_high"] == 0
    assert Notification.objects.count() == count == EmailOutbox.objects.count()


def test_billing_managers_and_the_assignee_are_notified(world):
    other_staff = MembershipFactory(practice=world.practice, role="staff", user=UserFactory()).user
    case, _, (line,) = running(world)
    use(world, case, line, 80)
    told = set(Notification.objects.filter(case=case).values_list("user__username", flat=True))
    assert told == {"demo_billing", "demo_admin", "demo_staff"}
    assert other_staff.username not in told and "other_staff" not in told


def test_the_creator_is_told_when_no_one_is_assigned(world):
    case, _, (line,) = running(world)
    case.assigned_to = None
    case.created_by = world.admin
    case.save()
    use(world, case, line, 80)
    told = set(Notification.objects.filter(case=case).values_list("user__username", flat=True))
    assert told == {"demo_billing", "demo_admin"}


def test_the_email_has_no_client_data(world):
    case, _, (line,) = running(world, sessions=2, end=today() + dt.timedelta(days=10))
    use(world, case, line, 101, confirm=True)
    emails = list(EmailOutbox.objects.all())
    assert emails
    for email in emails:
        assert f"SCA case #{case.pk}" in email.body
        for word in ("Jamie", "Morgan", "J.M.", case.client.member_id):
            assert word not in email.body and word not in email.subject


def test_every_code_that_crosses_shows_on_the_billing_dashboard(world, web):
    case, _, (aba, supervision) = running(
        world, lines=(("97153", 100, "total"), ("97155", 20, "total"))
    )
    use(world, case, aba, 83)
    use(world, case, supervision, 20)
    html = web(world.billing).get("/").content.decode()
    alerts = html[html.index('id="utilization-alerts"') :]
    alerts = alerts[: alerts.index("</ul>")]
    assert "J.M.</abbr> · " in alerts and f"SCA #{case.pk}</a>" in alerts
    assert "97153 Adaptive behavior treatment by protocol" in alerts
    assert "83 of 100 units (83%)" in alerts and "20 of 20 units (100%)" in alerts
    # Each condition once, though billing, the admin and the assignee each have a notice.
    assert len(re.findall(r"<li ", alerts)) == 2


def test_the_dashboard_logs_the_notices_clients_it_shows(world, web):
    case, _, (line,) = running(world)
    use(world, case, line, 90)
    web(world.billing).get("/")
    entry = AccessLog.objects.order_by("-id").first()
    subjects = {(s.client_id, s.case_id) for s in entry.subjects.all()}
    assert (case.client_id, case.pk) in subjects


# ----------------------------------------------------------------------------- usage rules


def util_url(case):
    return f"/api/v1/cases/{case.pk}/utilization/"


def test_a_future_service_date_is_refused_naming_service_date(world, api):
    case, _, (line,) = running(world)
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = api(world.staff).post(
        util_url(case),
        {"service_date": tomorrow, "billing_code": line.billing_code_id, "units": 1},
        format="json",
    )
    assert response.status_code == 400 and "service_date" in response.json()
    assert not UtilizationEntry.objects.exists()


def test_usage_past_the_authorized_units_answers_409_unless_confirmed(world, api):
    case, _, (line,) = running(world)
    body = {
        "service_date": today().isoformat(),
        "billing_code": line.billing_code_id,
        "units": 120,
    }
    response = api(world.staff).post(util_url(case), body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "over_authorized"
    body["confirm_over_authorized"] = True
    response = api(world.staff).post(util_url(case), body, format="json")
    assert response.status_code == 201 and response.json()["over_authorized"] is True


def use_form(line, units, on=None, **extra) -> dict:
    return {
        "use-service_date": (on or today()).isoformat(),
        "use-line": str(line.pk),
        "use-units": str(units),
        **extra,
    }


def test_the_desk_refuses_a_future_date_in_place_keeping_the_units(world, web):
    case, _, (line,) = running(world)
    tomorrow = today() + dt.timedelta(days=1)
    response = web(world.staff).post(
        reverse("negotiations:desk_utilization", args=[case.pk]), use_form(line, 37, on=tomorrow)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This date is in the future" in html and 'value="37"' in html
    assert f'value="{tomorrow.isoformat()}"' in html
    assert not UtilizationEntry.objects.exists()


def test_the_desk_asks_to_confirm_use_past_the_authorization(world, web):
    case, _, (line,) = running(world)
    browser = web(world.staff)
    url = reverse("negotiations:desk_utilization", args=[case.pk])
    response = browser.post(url, use_form(line, 130))
    assert response.status_code == 409
    html = response.content.decode()
    assert "130 unit(s) would take 97153 to 130 of its 100 authorized units" in html
    assert 'name="use-confirm_over_authorized"' in html and 'value="130"' in html
    assert not UtilizationEntry.objects.exists()
    response = browser.post(url, use_form(line, 130, **{"use-confirm_over_authorized": "on"}))
    assert response.status_code == 302
    assert UtilizationEntry.objects.get().over_authorized is True


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def test_alerts_back_dated_use_past_an_earlier_weeks_cap_is_alerted(world):
    """Use recorded late, into a week already past, is checked within that week."""
    start = _monday(today()) - dt.timedelta(days=35)
    case, _, (line,) = running(world, start=start, lines=(("97153", 10, "per_week"),))
    use(world, case, line, 2, on=max(_monday(today()), start))
    earlier = start + dt.timedelta(days=7)
    use(world, case, line, 10, on=earlier)
    use(world, case, line, 3, on=earlier + dt.timedelta(days=1), confirm=True)
    keys = set(Notification.objects.filter(case=case).values_list("key", flat=True))
    assert any(k.startswith("over:") and k.endswith(earlier.isoformat()) for k in keys), keys


def test_alerts_an_owner_who_left_the_practice_hears_nothing(world):
    case, _, (line,) = running(world, lines=(("97153", 10, "total"),))
    assert (case.assigned_to or case.created_by) == world.staff
    world.staff.memberships.filter(practice=world.practice).delete()
    use(world, case, line, 9)
    told = set(Notification.objects.filter(case=case).values_list("user_id", flat=True))
    assert world.billing.pk in told and world.staff.pk not in told
    assert not EmailOutbox.objects.filter(user=world.staff).exists()


def test_alerts_use_on_a_line_of_no_units_is_over_authorized(world):
    case, _, (line,) = running(world, lines=(("97153", 0, "total"),))
    use(world, case, line, 1, confirm=True)
    assert "over_authorized" in kinds(case)


def test_alerts_a_member_who_left_no_longer_reads_the_practices_notices(world, api):
    case, _, (line,) = running(world, lines=(("97153", 10, "total"),))
    use(world, case, line, 9)
    assert api(world.staff).get("/api/v1/notifications/").json()["results"]
    world.staff.memberships.filter(practice=world.practice).delete()
    left = type(world.staff).objects.get(pk=world.staff.pk)  # as the next request loads them
    assert api(left).get("/api/v1/notifications/").json()["results"] == []
