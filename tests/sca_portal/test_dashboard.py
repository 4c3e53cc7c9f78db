"""The dashboard: sign-in lands on it; staff see their drafts and follow-ups; billing managers
also see the negotiation board, the charts, agreements ending soon and notifications; the
practice switcher; a fixed number of queries; and never another practice's cases."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from negotiations.models import Notification
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseFactory,
    MembershipFactory,
    OfferFactory,
    OfferLineFactory,
    PracticeFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/"


def today() -> dt.date:
    return timezone.localdate()


def days_ago(n: int) -> dt.datetime:
    """Noon, local time, ``n`` calendar days ago: "n days waiting" whatever the hour the suite
    runs (``now() - n days`` crosses a calendar day when a daylight-saving change lies between,
    e.g. 45 days before 23:04 EST is 00:04 EDT the next day)."""
    day = timezone.localdate() - dt.timedelta(days=n)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def shows(html: str, case) -> bool:
    """Whether the page names the case ("SCA #12", not the start of "SCA #123")."""
    return re.search(rf"SCA #{case.pk}(?!\d)", html) is not None


def notify(user, case, message=None, kind="follow_up") -> Notification:
    return Notification.objects.create(
        user=user,
        case=case,
        kind=kind,
        key=f"{kind}:{case.pk}:{user.pk}",
        message=message or f"Follow-up due on SCA case #{case.pk}.",
    )


def submitted_case(practice, *, waiting_days=0, **kw):
    return CaseFactory(
        practice=practice, status="submitted", submitted_at=days_ago(waiting_days), **kw
    )


def approved_case(practice, *, ends_in=150, **kw):
    case = CaseFactory(
        practice=practice,
        status="approved",
        submitted_at=days_ago(40),
        decided_at=days_ago(20),
        **kw,
    )
    agreement = AgreementFactory(case=case, end_date=today() + dt.timedelta(days=ends_in))
    AgreementLineFactory(agreement=agreement, billing_code=BillingCodeFactory(code="97153"))
    return case, agreement


# ----------------------------------------------------------------------------- sign in


def test_anonymous_is_sent_to_sign_in(db, client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_signing_in_through_the_login_form_lands_on_the_dashboard(world):
    browser = Client()
    page = browser.get("/login/?next=/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = browser.post(
        "/login/", {"username": "demo_staff", "password": "demo12345", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    page = browser.get(DASHBOARD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Dashboard</h1>" in html and "Bright Path ABA" in html


def test_a_wrong_password_does_not_sign_in(world):
    browser = Client()
    response = browser.post("/login/", {"username": "demo_staff", "password": "wrong-password"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert browser.get(DASHBOARD).status_code == 302


# ----------------------------------------------------------------------------- staff


def test_staff_dashboard_lists_their_drafts_with_the_first_missing_item_in_plain_words(
    world, web, ready_case
):
    incomplete = CaseFactory(practice=world.practice, created_by=world.staff)  # no codes yet
    someone_elses = CaseFactory(practice=world.practice, created_by=world.admin)
    html = web(world.staff).get(DASHBOARD).content.decode()
    assert shows(html, ready_case) and shows(html, incomplete)
    assert not shows(html, someone_elses)
    assert "Ready to submit." in html
    assert "Add at least one billing code with its units to request." in html
    assert "(+1 more)" in html  # and the network search is not documented either


def test_staff_dashboard_lists_follow_ups_due_today_and_overdue(world, web):
    due_today = submitted_case(world.practice, follow_up_on=today())
    overdue = submitted_case(world.practice, follow_up_on=today() - dt.timedelta(days=3))
    later = submitted_case(world.practice, follow_up_on=today() + dt.timedelta(days=2))
    closed = CaseFactory(
        practice=world.practice,
        status="withdrawn",
        follow_up_on=today() - dt.timedelta(days=1),
    )
    html = web(world.staff).get(DASHBOARD).content.decode()
    section = html[
        html.index('id="followups-h"') : html.index('id="board-h"')
        if 'id="board-h"' in html
        else None
    ]
    assert shows(section, due_today) and shows(section, overdue)
    assert not shows(section, later) and not shows(section, closed)
    # Oldest first; today's is "Today", the overdue one is marked overdue with its lateness.
    assert section.index(f"SCA #{overdue.pk}<") < section.index(f"SCA #{due_today.pk}<")
    assert "Today</span>" in section
    assert re.search(r'<span class="overdue">[A-Z][a-z]{2} \d+ \(3\xa0days late\)</span>', section)


def test_staff_dashboard_does_not_show_the_negotiation_board(world, web):
    submitted_case(world.practice)
    page = web(world.staff).get(DASHBOARD)
    html = page.content.decode()
    assert "Negotiation board" not in html
    assert "Cases by status" not in html and "<svg" not in html
    assert "board" not in page.context and "report" not in page.context


# ----------------------------------------------------------------------------- billing


def test_billing_dashboard_shows_the_negotiation_board_with_days_waiting(world, web):
    waiting = submitted_case(world.practice, waiting_days=5)
    long_wait = submitted_case(world.practice, waiting_days=45)
    talking = CaseFactory(
        practice=world.practice, status="in_negotiation", submitted_at=days_ago(1)
    )
    OfferLineFactory(offer=OfferFactory(case=talking))
    html = web(world.billing).get(DASHBOARD).content.decode()
    board = html[html.index('id="board-h"') : html.index('id="status-chart-h"')]
    assert "Submitted" in board and "In negotiation" in board
    assert shows(board, waiting) and shows(board, long_wait) and shows(board, talking)
    assert "5 days waiting" in board and "1 day waiting" in board
    assert '<span class="small overdue">45 days waiting</span>' in board
    # Longest waiting first.
    assert board.index(f"SCA #{long_wait.pk}<") < board.index(f"SCA #{waiting.pk}<")


def test_billing_dashboard_shows_the_charts(world, web):
    submitted_case(world.practice)
    approved_case(world.practice)
    CaseFactory(
        practice=world.practice, status="denied", submitted_at=days_ago(9), decided_at=days_ago(2)
    )
    html = web(world.billing).get(DASHBOARD).content.decode()
    assert "<svg" in html and "Cases by status" in html
    chart = html[html.index('id="status-chart-desc"') :]
    chart = chart[: chart.index("</desc>")]
    assert "Submitted: 1." in chart and "Approved: 1." in chart and "Denied: 1." in chart
    assert "Approval rate and days to decision, per insurer" in html
    assert "Achieved rate vs requested" in html


def test_billing_dashboard_shows_agreements_ending_within_30_days(world, web):
    ending, agreement = approved_case(world.practice, ends_in=12)
    later, _ = approved_case(world.practice, ends_in=90)
    html = web(world.billing).get(DASHBOARD).content.decode()
    section = html[html.index('id="ending-h"') : html.index("Utilization alerts")]
    assert shows(section, ending) and not shows(section, later)
    assert f"authorization {agreement.authorization_number} ends" in section


def test_billing_dashboard_shows_notifications_and_marks_them_read(world, web):
    case = submitted_case(world.practice)
    mine = notify(world.billing, case, message=f"Follow-up due on SCA case #{case.pk} today.")
    browser = web(world.billing)
    html = browser.get(DASHBOARD).content.decode()
    assert f"Follow-up due on SCA case #{case.pk} today." in html
    read_url = reverse("negotiations:notification_read", args=[mine.pk])
    assert read_url in html

    response = browser.post(read_url)
    assert response.status_code == 302 and response["Location"] == "/#notifications"
    mine.refresh_from_db()
    assert mine.read_at is not None
    html = browser.get(DASHBOARD).content.decode()
    assert f"Follow-up due on SCA case #{case.pk} today." not in html
    assert "You are all caught up." in html


def test_a_user_cannot_mark_someone_elses_notification_read(world, web):
    theirs = notify(world.staff, submitted_case(world.practice))
    response = web(world.billing).post(reverse("negotiations:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    missing = reverse("negotiations:notification_read", args=[theirs.pk + 1000])
    assert web(world.billing).post(missing).status_code == 404


# ----------------------------------------------------------------------------- practices


@pytest.fixture
def two_practice_user(world):
    """demo_staff, also a billing manager at Harbor."""
    MembershipFactory(practice=world.other_practice, user=world.staff, role="billing")
    return world.staff


def test_a_user_of_two_practices_switches_practice_and_the_case_list_follows(
    world, web, two_practice_user
):
    bright = CaseFactory(practice=world.practice)
    harbor = CaseFactory(practice=world.other_practice)
    browser = web(two_practice_user)
    html = browser.get(DASHBOARD).content.decode()
    assert '<select id="practice-switch" name="practice">' in html
    assert f'<option value="{world.other_practice.pk}"' in html
    cases = browser.get(reverse("cases:list")).content.decode()
    assert shows(cases, bright) and not shows(cases, harbor)  # first by name: Bright Path

    response = browser.post(reverse("practice_switch"), {"practice": world.other_practice.pk})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    cases = browser.get(reverse("cases:list")).content.decode()
    assert shows(cases, harbor) and not shows(cases, bright)
    # The dashboard follows too: billing at Harbor sees the negotiation board.
    assert "Negotiation board" in browser.get(DASHBOARD).content.decode()


@pytest.mark.parametrize("choice", ["stranger", "abc", ""])
def test_switching_to_a_practice_one_does_not_belong_to_is_refused(
    world, web, two_practice_user, choice
):
    stranger = PracticeFactory(name="Aardvark Autism Center")  # first by name, if it counted
    theirs = CaseFactory(practice=stranger)
    bright = CaseFactory(practice=world.practice)
    browser = web(two_practice_user)
    value = stranger.pk if choice == "stranger" else choice
    response = browser.post(reverse("practice_switch"), {"practice": value}, follow=True)
    assert response.status_code == 200
    assert "Choose one of your practices." in [str(m) for m in response.context["messages"]]
    assert browser.session.get("practice_id") != stranger.pk
    cases = browser.get(reverse("cases:list")).content.decode()
    assert shows(cases, bright) and not shows(cases, theirs)


def test_a_user_of_one_practice_sees_no_switcher(world, web):
    html = web(world.staff).get(DASHBOARD).content.decode()
    assert 'id="practice-switch"' not in html
    assert '<span class="practice-name">Bright Path ABA</span>' in html


def test_switching_practice_requires_sign_in(db, client):
    response = client.post(reverse("practice_switch"), {"practice": 1})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_another_practices_cases_never_appear_on_the_dashboard(world, web):
    ours = submitted_case(world.practice, follow_up_on=today(), waiting_days=3)
    theirs = [
        CaseFactory(practice=world.other_practice, created_by=world.other_staff),
        submitted_case(world.other_practice, follow_up_on=today(), waiting_days=3),
        CaseFactory(
            practice=world.other_practice,
            status="in_negotiation",
            submitted_at=days_ago(2),
            follow_up_on=today() - dt.timedelta(days=1),
        ),
        approved_case(world.other_practice, ends_in=10)[0],
        CaseFactory(
            practice=world.other_practice,
            status="denied",
            submitted_at=days_ago(9),
            decided_at=days_ago(1),
        ),
    ]
    for case in theirs:
        notify(world.other_staff, case)
        notify(world.other_staff, case, kind="sessions_low", message=f"SCA case #{case.pk}: low")
    for user in (world.staff, world.billing, world.admin):
        page = web(user).get(DASHBOARD)
        html = page.content.decode()
        assert shows(html, ours)
        for case in theirs:
            assert not shows(html, case), (user.username, case.status)
    report = web(world.billing).get(DASHBOARD).context["report"]
    assert sum(report["cases_by_status"].values()) == 1
    assert report["agreements_expiring_30_days"] == []


# ----------------------------------------------------------------------------- queries


def populate(world, per_status: int) -> None:
    """``per_status`` cases of each kind for the billing manager's dashboard: drafts with
    readiness, follow-ups, the board, decisions, agreements ending, notifications and alerts."""
    code = BillingCodeFactory(code="97153")
    for _ in range(per_status):
        draft = CaseFactory(practice=world.practice, created_by=world.billing)
        RequestedServiceFactory(case=draft, billing_code=code)
        waiting = submitted_case(world.practice, waiting_days=4, follow_up_on=today())
        talking = CaseFactory(
            practice=world.practice,
            status="in_negotiation",
            submitted_at=days_ago(8),
            follow_up_on=today() - dt.timedelta(days=2),
        )
        OfferLineFactory(offer=OfferFactory(case=talking), billing_code=code)
        approved, agreement = approved_case(world.practice, ends_in=20)
        RequestedServiceFactory(case=approved, billing_code=code, requested_rate=Decimal("17"))
        CaseFactory(
            practice=world.practice,
            status="denied",
            submitted_at=days_ago(9),
            decided_at=days_ago(3),
        )
        CaseFactory(
            practice=world.practice,
            status="declined",
            submitted_at=days_ago(9),
            decided_at=days_ago(2),
        )
        for case in (waiting, talking):
            notify(world.billing, case)
        notify(world.billing, approved, kind="sessions_low", message="2 session(s) left")


def dashboard_queries(browser) -> CaptureQueriesContext:
    cache.clear()  # the reports summary is cached
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(DASHBOARD)
    assert page.status_code == 200
    return queries


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_data(world, web):
    browser = web(world.billing)
    browser.get(DASHBOARD)  # the session and per-process caches
    populate(world, 1)  # one case per status
    few = dashboard_queries(browser)
    populate(world, 5)  # 36 cases
    many = dashboard_queries(browser)
    page = browser.get(DASHBOARD)
    assert len(page.context["drafts"]) == 6 and len(page.context["follow_ups"]) == 12
    assert [col["count"] for col in page.context["board"]] == [6, 6]
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_staff_dashboard_runs_a_fixed_number_of_queries_too(world, web):
    browser = web(world.staff)
    browser.get(DASHBOARD)
    draft = CaseFactory(practice=world.practice, created_by=world.staff)
    notify(world.staff, submitted_case(world.practice, follow_up_on=today()))
    few = dashboard_queries(browser)
    for _ in range(12):
        draft = CaseFactory(practice=world.practice, created_by=world.staff)
        RequestedServiceFactory(case=draft)
        notify(world.staff, submitted_case(world.practice, follow_up_on=today()))
    many = dashboard_queries(browser)
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_billing_dashboard_stays_within_its_query_budget(world, web):
    """Issue 7: at most 12 statements with the reports summary cached (it is, for a minute);
    the first request of the minute adds the summary's four (issue 15: appeals per insurer).
    On PostgreSQL the case lists are one statement and the notices another (on SQLite each
    list is its own); the peer-to-peer reviews card is one more (issue 15)."""
    browser = web(world.billing)
    browser.get(DASHBOARD)
    populate(world, 2)
    cold = dashboard_queries(browser)
    with CaptureQueriesContext(connection) as warm:
        assert browser.get(DASHBOARD).status_code == 200
    if connection.vendor == "postgresql":
        # 10 for the page, then the access log's write of the cases it shows: the entry and
        # its subjects in one bulk insert (2 statements; 4 here, in the test's savepoint).
        assert len(warm) <= 10 + 4, "\n".join(q["sql"] for q in warm.captured_queries)
        assert len(cold) == len(warm) + 4
    statements = " ".join(q["sql"] for q in warm.captured_queries)
    assert 'COUNT(*) AS "__count" FROM "negotiations_notification"' not in statements


def test_the_unread_badge_counts_the_current_practices_notices(world, web, two_practice_user):
    ours = submitted_case(world.practice)
    theirs = submitted_case(world.other_practice)
    notify(two_practice_user, ours)
    notify(two_practice_user, theirs, kind="sessions_low")
    notify(two_practice_user, theirs, kind="units_high")
    browser = web(two_practice_user)
    badge = re.compile(r'class="count">(\d+)<')
    for path in (DASHBOARD, "/cases/"):  # the dashboard's own count, and the navigation's
        assert badge.findall(browser.get(path).content.decode()) == ["1"], path
    browser.post(reverse("practice_switch"), {"practice": world.other_practice.pk})
    for path in (DASHBOARD, "/cases/"):
        assert badge.findall(browser.get(path).content.decode()) == ["2"], path


def test_the_navigation_counts_unread_notices_once_per_page(world, web):
    """The badge is a callable for the template; it must not count again each time it is used."""
    notify(world.staff, submitted_case(world.practice))
    with CaptureQueriesContext(connection) as ctx:
        html = web(world.staff).get("/cases/").content.decode()
    counts = [q for q in ctx if 'FROM "negotiations_notification"' in q["sql"]]
    assert len(counts) == 1 and 'class="count">1<' in html


def test_board_counts_are_the_reports_counts_and_lists_the_longest_waiting(world, web):
    for days in (3, 30, 9):
        submitted_case(world.practice, waiting_days=days)
    page = web(world.billing).get(DASHBOARD)
    submitted = page.context["board"][0]
    assert submitted["count"] == page.context["report"]["cases_by_status"]["submitted"] == 3
    assert [c.days_waiting for c in submitted["cases"]] == [30, 9, 3]


# ----------------------------------------------------------------------------- polish


def test_board_and_recently_decided_cards_show_the_client(world, web):
    waiting = submitted_case(world.practice, waiting_days=3)
    decided = CaseFactory(
        practice=world.practice, status="denied", submitted_at=days_ago(9), decided_at=days_ago(2)
    )
    html = web(world.billing).get(DASHBOARD).content.decode()
    board = html[html.index('id="board-h"') : html.index('id="status-chart-h"')]
    assert f"{waiting.client.first_name} {waiting.client.last_name}" in board
    recent = html[html.index('id="decided-h"') : html.index('id="notifications-h"')]
    assert f"{decided.client.first_name} {decided.client.last_name}" in recent


@pytest.mark.parametrize(
    ("days", "label"),
    [(None, "—"), (Decimal("0.0"), "under a day"), (Decimal("1.0"), "1 day"),
     (Decimal("12.0"), "12 days"), (Decimal("4.5"), "4.5 days")],
)  # fmt: skip
def test_median_days_read_as_people_say_them(days, label):
    from sca_portal.dashboard import days_label

    assert days_label(days) == label
