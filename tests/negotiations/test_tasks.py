"""The task list (issue 16): tasks read from the cases, each with a stable key; done and snooze
per practice; "my tasks" and the practice's; the page within a fixed number of statements;
the daily digest once per member and day, with case numbers only."""

import datetime as dt
import re
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Case, Document, Membership
from core.exceptions import DomainError
from negotiations.models import ContactLog, EmailOutbox, TaskState
from negotiations.selectors.worklist import (
    APPEAL,
    DOCUMENT,
    DRAFT,
    FOLLOW_UP,
    KINDS,
    RENEWAL,
    REVIEW,
    open_tasks,
    parse_task_key,
    task_key,
)
from negotiations.services.worklist import task_digests_send, task_done, task_snooze
from negotiations.tasks import send_task_digests
from tests.conftest import require_service
from tests.factories import AgreementFactory, CaseFactory, UserFactory

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = LOCMEM
    mail.outbox = []


def today() -> dt.date:
    return timezone.localdate()


def make_tasks(world, *, owner=None, n: int = 1) -> dict[str, list]:
    """``n`` tasks of each kind at Bright Path, on cases assigned to ``owner`` (staff)."""
    owner = owner or world.staff
    now = timezone.now()
    people = {"practice": world.practice, "assigned_to": owner, "created_by": owner}
    made: dict[str, list] = {kind: [] for kind in KINDS}
    for _ in range(n):
        case = CaseFactory(status="submitted", submitted_at=now, follow_up_on=today(), **people)
        made[FOLLOW_UP].append(case)
        denied = CaseFactory(
            status="denied", submitted_at=now - dt.timedelta(days=20),
            decided_at=now - dt.timedelta(days=10), denial_category="not_medically_necessary",
            denial_received_on=today() - dt.timedelta(days=10), **people,
        )  # fmt: skip
        made[APPEAL].append(denied)
        approved = CaseFactory(status="approved", submitted_at=now, **people)
        made[RENEWAL].append(AgreementFactory(case=approved, end_date=today() + dt.timedelta(30)))
        made[DOCUMENT].append(
            Document.objects.create(case=case, kind="request_letter", status="failed")
        )
        draft = CaseFactory(**people)
        Case.objects.filter(pk=draft.pk).update(updated_at=now - dt.timedelta(days=8))
        made[DRAFT].append(draft)
        made[REVIEW].append(
            ContactLog.objects.create(
                case=case,
                kind="peer_to_peer",
                at=now + dt.timedelta(days=2),
                direction="outbound",
                channel="phone",
                summary="Review booked.",
            )  # fmt: skip
        )
    return made


def keys(tasks) -> set[str]:
    return {task.key for task in tasks}


def test_each_kind_appears_with_its_due_date(world):
    made = make_tasks(world)
    tasks = open_tasks([world.practice.pk])
    by_kind = {task.kind: task for task in tasks}
    assert set(by_kind) == set(KINDS)
    assert by_kind[FOLLOW_UP].due_on == today()
    assert by_kind[APPEAL].due_on == today() + dt.timedelta(days=170)  # 180 from the denial
    assert by_kind[RENEWAL].due_on == made[RENEWAL][0].end_date
    assert by_kind[DRAFT].due_on == today() - dt.timedelta(days=1)  # untouched 8 days of 7
    assert by_kind[REVIEW].due_on == today() + dt.timedelta(days=2)
    assert [t.due_on for t in tasks] == sorted(t.due_on for t in tasks)  # by due date


def test_tasks_are_not_shown_when_nothing_is_due(world):
    now = timezone.now()
    people = {"practice": world.practice, "assigned_to": world.staff}
    CaseFactory(
        status="submitted", submitted_at=now, follow_up_on=today() + dt.timedelta(9), **people
    )
    CaseFactory(status="withdrawn", submitted_at=now, follow_up_on=today(), **people)
    CaseFactory(**people)  # a draft touched today
    AgreementFactory(case=CaseFactory(status="approved", submitted_at=now, **people))  # 150 days
    assert open_tasks([world.practice.pk]) == []


def test_renewal_is_due_with_three_sessions_left_and_gone_once_renewed(world):
    now = timezone.now()
    case = CaseFactory(practice=world.practice, status="approved", submitted_at=now)
    AgreementFactory(case=case, sessions_authorized=3)  # ends in 150 days, 3 left
    assert [t.kind for t in open_tasks([world.practice.pk])] == [RENEWAL]
    CaseFactory(practice=world.practice, renewal_of=case)
    assert open_tasks([world.practice.pk]) == []


def test_failed_document_made_again_is_no_task(world):
    made = make_tasks(world)
    failed = made[DOCUMENT][0]
    Document.objects.create(case=failed.case, kind=failed.kind, status="queued")
    assert DOCUMENT not in {t.kind for t in open_tasks([world.practice.pk])}


def test_key_is_stable_and_names_kind_id_and_due(world):
    make_tasks(world)
    first, again = open_tasks([world.practice.pk]), open_tasks([world.practice.pk])
    assert keys(first) == keys(again)
    for task in first:
        assert re.fullmatch(r"[a-z_]+:[0-9]+:\d{4}-\d{2}-\d{2}", task.key)
        assert parse_task_key(task.key) == (task.kind, task.object_id, task.due_on)
    assert parse_task_key("follow_up:1:2026-13-01") is None
    assert parse_task_key("nothing:1:2026-01-01") is None


def test_done_hides_the_task_for_the_whole_practice_and_again_is_the_same(world):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    state = task_done(actor=world.staff, key=key)
    assert key not in keys(open_tasks([world.practice.pk]))
    again = task_done(actor=world.billing, key=key)
    assert (again.pk, again.done_at) == (state.pk, state.done_at)
    assert TaskState.objects.filter(key=key).count() == 1


def test_snooze_hides_the_task_until_the_date(world):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    task_snooze(actor=world.staff, key=key, until=today() + dt.timedelta(days=2))
    now = timezone.now()
    assert key not in keys(open_tasks([world.practice.pk], now=now + dt.timedelta(days=1)))
    assert key in keys(open_tasks([world.practice.pk], now=now + dt.timedelta(days=2)))


def test_moved_due_date_is_a_new_task_that_shows_again(world):
    made = make_tasks(world)
    case = made[FOLLOW_UP][0]
    task_done(actor=world.staff, key=task_key(FOLLOW_UP, case.pk, today()))
    Case.objects.filter(pk=case.pk).update(follow_up_on=today() + dt.timedelta(days=1))
    assert task_key(FOLLOW_UP, case.pk, today() + dt.timedelta(1)) in keys(
        open_tasks([world.practice.pk])
    )


def test_mine_is_assigned_to_me_or_unassigned_and_created_by_me(world):
    make_tasks(world, owner=world.billing)
    now = timezone.now()
    mine = CaseFactory(
        practice=world.practice, status="submitted", submitted_at=now, follow_up_on=today(),
        created_by=world.staff, assigned_to=None,
    )  # fmt: skip
    staff_tasks = open_tasks([world.practice.pk], mine=world.staff)
    assert {t.case.pk for t in staff_tasks} == {mine.pk}
    assert len(open_tasks([world.practice.pk], mine=world.billing)) == len(KINDS)
    assert len(open_tasks([world.practice.pk])) == len(KINDS) + 1


def test_another_practices_task_is_not_found(world):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    for call in (
        lambda: task_done(actor=world.other_staff, key=key),
        lambda: task_snooze(actor=world.other_staff, key=key, until=today() + dt.timedelta(1)),
        lambda: task_done(actor=world.staff, key=key.replace(today().isoformat(), "2001-01-01")),
    ):
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.status == 404
    assert not TaskState.objects.exists()


@pytest.mark.parametrize("days", [0, -3])
def test_snooze_until_a_day_not_in_the_future_is_refused_naming_until(world, days):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    with pytest.raises(ValidationError) as refused:
        task_snooze(actor=world.staff, key=key, until=today() + dt.timedelta(days=days))
    assert "until" in refused.value.error_dict
    assert not TaskState.objects.exists()


# ----------------------------------------------------------------------------- the page


def test_page_lists_my_tasks_with_client_initials_and_logs_the_cases(world, web):
    made = make_tasks(world)
    response = web(world.staff).get(reverse("negotiations:tasks"))
    assert response.status_code == 200
    html = response.content.decode()
    client = made[FOLLOW_UP][0].client
    assert f"{client.first_name[0]}{client.last_name[0]}".upper() in html
    assert client.last_name not in html
    entry = AccessLog.objects.get(route="negotiations:tasks")
    tasks = open_tasks([world.practice.pk], mine=world.staff)
    shown = {(task.case.client_id, task.case.pk) for task in tasks}
    assert len(shown) == 4  # the follow-up's case (with its document and review), 3 others
    assert set(entry.subjects.values_list("client_id", "case_id")) == shown


def test_page_practice_view_and_kind_filter(world, web):
    make_tasks(world, owner=world.billing)
    browser = web(world.staff)
    assert "No open tasks of yours" in browser.get(reverse("negotiations:tasks")).content.decode()
    practice = browser.get(reverse("negotiations:tasks"), {"view": "practice"})
    assert len(practice.context["rows"]) == len(KINDS)
    only = browser.get(reverse("negotiations:tasks"), {"view": "practice", "kind": RENEWAL})
    assert [row["task"].kind for row in only.context["rows"]] == [RENEWAL]


def test_page_done_redirects_back_with_a_message(world, web):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    browser = web(world.staff)
    response = browser.post(
        reverse("negotiations:task_done", args=[key]), {"view": "practice"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("negotiations:tasks") + "?view=practice"
    assert "Task marked done." in response.content.decode()
    assert key not in {row["task"].key for row in response.context["rows"]}


def test_page_refused_snooze_shows_the_error_beside_the_date_and_keeps_it(world, web):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    past = (today() - dt.timedelta(days=1)).isoformat()
    response = web(world.staff).post(
        reverse("negotiations:task_snooze", args=[key]), {"until": past}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'value="{past}" aria-invalid="true"' in html
    assert "Snooze until a day after today" in html
    assert not TaskState.objects.exists()


def test_page_another_practices_task_is_404(world, web):
    made = make_tasks(world)
    key = task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today())
    browser = web(world.other_staff)
    assert browser.post(reverse("negotiations:task_done", args=[key])).status_code == 404
    until = (today() + dt.timedelta(days=3)).isoformat()
    url = reverse("negotiations:task_snooze", args=[key])
    assert browser.post(url, {"until": until}).status_code == 404


def test_page_digest_switch(world, web):
    browser = web(world.staff)
    browser.post(reverse("negotiations:task_digest"), {})
    assert not Membership.objects.get(user=world.staff, practice=world.practice).task_digest
    browser.post(reverse("negotiations:task_digest"), {"on": "on"})
    assert Membership.objects.get(user=world.staff, practice=world.practice).task_digest


# ----------------------------------------------------------------------------- statements


# The access log's write: a savepoint, the entry, its subjects (one statement), the release.
LOG_WRITE = 4


def _statements(browser, url, django_assert_max_num_queries):
    """The page's statements apart from the access log's write. The browser has been on the
    site before (its practice is remembered in the session)."""
    browser.get(url)
    with django_assert_max_num_queries(12 + LOG_WRITE) as captured:
        assert browser.get(url).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    log = [s for s in sql if "accesslog" in s.lower() or s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(log) == LOG_WRITE
    return len(sql) - len(log)


@pytest.mark.parametrize("view", ["mine", "practice"])
def test_page_statements_are_few_and_constant_in_the_number_of_tasks(
    world, web, view, django_assert_max_num_queries
):
    browser = web(world.staff)
    url = reverse("negotiations:tasks") + f"?view={view}"
    make_tasks(world)
    one = _statements(browser, url, django_assert_max_num_queries)
    make_tasks(world, n=6)
    many = _statements(browser, url, django_assert_max_num_queries)
    assert len(browser.get(url).context["rows"]) == 7 * len(KINDS)
    assert one <= 12 and many == one


# ----------------------------------------------------------------------------- the digest


def test_digest_once_a_day_with_case_numbers_and_no_patient_data(world):
    made = make_tasks(world)
    assert send_task_digests.delay().get() == 1  # staff: the only member with tasks
    assert task_digests_send() == 0  # the same day: already sent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.staff.email]
    body = message.subject + message.body
    for case in made[FOLLOW_UP] + made[APPEAL]:
        assert f"SCA case #{case.pk}" in body
        client = case.client
        for secret in (client.first_name, client.last_name, client.member_id):
            assert secret not in body
    assert "Follow-up" in body and today().isoformat() in body
    row = EmailOutbox.objects.get()
    assert row.key == f"digest:{world.staff.pk}:{world.practice.pk}:{today().isoformat()}"


def test_digest_off_sends_nothing(world):
    make_tasks(world)
    Membership.objects.filter(user=world.staff).update(task_digest=False)
    assert task_digests_send() == 0
    assert mail.outbox == [] and not EmailOutbox.objects.exists()


def test_digest_skips_tasks_done(world):
    made = make_tasks(world)
    for task in open_tasks([world.practice.pk]):
        task_done(actor=world.staff, key=task.key)
    assert made and task_digests_send() == 0


@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_send_each_member_once(world):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    make_tasks(world)
    make_tasks(world, owner=world.billing)
    extra = UserFactory()
    Membership.objects.create(user=extra, practice=world.practice, role="staff")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one():
        try:
            barrier.wait(timeout=30)
            results.append(task_digests_send())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and sum(results) == 2
    assert EmailOutbox.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.staff.email, world.billing.email])
