"""The task list API: ``GET tasks/``, ``POST tasks/{key}/done/``, ``POST tasks/{key}/snooze/``
(the date in the body) and ``POST tasks/{key}/snooze/{until}/`` (in the path)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog
from negotiations.models import TaskState
from negotiations.selectors.worklist import FOLLOW_UP, KINDS, RENEWAL, task_key
from tests.negotiations.test_tasks import make_tasks

LIST = "/api/v1/tasks/"
# The access log's write: a savepoint, the entry, its subjects, the release.
LOG_WRITE = 4


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def follow_up_key(world):
    made = make_tasks(world)
    return task_key(FOLLOW_UP, made[FOLLOW_UP][0].pk, today()), made


def test_list_is_my_tasks_by_due_date_with_case_ids_and_no_client(world, api, follow_up_key):
    _key, made = follow_up_key
    response = api(world.staff).get(LIST)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == len(KINDS) == len(data["results"])
    row = next(r for r in data["results"] if r["kind"] == FOLLOW_UP)
    case = made[FOLLOW_UP][0]
    assert row["id"] == row["key"] == f"follow_up:{case.pk}:{today().isoformat()}"
    assert row["case"] == case.pk and row["case_number"] == f"SCA #{case.pk}"
    assert row["assignee"]["username"] == "demo_staff" and row["overdue"] is False
    assert set(row) == {
        "id", "key", "kind", "kind_label", "label", "due_on", "overdue", "practice", "case",
        "case_number", "insurer_name", "assignee",
    }  # fmt: skip
    dues = [r["due_on"] for r in data["results"]]
    assert dues == sorted(dues)
    text = response.content.decode()
    assert case.client.last_name not in text and case.client.first_name not in text


def test_list_logs_the_cases_it_names(world, api, follow_up_key):
    data = api(world.staff).get(LIST).json()
    entry = AccessLog.objects.get(route="task-list")
    logged = set(entry.subjects.values_list("case_id", flat=True))
    assert logged == {row["case"] for row in data["results"]}


def test_list_views_and_kind_filter(world, api, follow_up_key):
    billing = api(world.billing)
    assert billing.get(LIST).json()["count"] == 0  # nothing of theirs
    assert billing.get(LIST, {"view": "practice"}).json()["count"] == len(KINDS)
    only = billing.get(LIST, {"view": "practice", "kind": [FOLLOW_UP, RENEWAL]}).json()
    assert sorted(r["kind"] for r in only["results"]) == [FOLLOW_UP, RENEWAL]
    refused = billing.get(LIST, {"view": "everyone"})
    assert refused.status_code == 400 and "view" in refused.json()
    assert billing.get(LIST, {"kind": "chores"}).status_code == 400


def test_other_practice_sees_no_tasks_and_gets_404(world, api, follow_up_key):
    key, _made = follow_up_key
    other = api(world.other_staff)
    assert other.get(LIST, {"view": "practice"}).json()["count"] == 0
    until = (today() + dt.timedelta(days=2)).isoformat()
    for url, body in (
        (f"{LIST}{key}/done/", {}),
        (f"{LIST}{key}/snooze/", {"until": until}),
        (f"{LIST}{key}/snooze/{until}/", {}),
    ):
        response = other.post(url, body, format="json")
        assert response.status_code == 404 and response.json()["code"] == "task_not_found"
    assert not TaskState.objects.exists()


@pytest.mark.parametrize("key", ["follow_up:999999:2026-01-01", "nonsense", "renewal:x:y"])
def test_unknown_key_is_404(world, api, follow_up_key, key):
    assert api(world.staff).post(f"{LIST}{key}/done/").status_code == 404


def test_done_hides_the_task_and_again_answers_the_same(world, api, follow_up_key):
    key, _made = follow_up_key
    client = api(world.staff)
    first = client.post(f"{LIST}{key}/done/")
    assert first.status_code == 200 and first.json()["done_at"]
    again = client.post(f"{LIST}{key}/done/")
    assert again.status_code == 200 and again.json() == first.json()
    assert key not in {r["key"] for r in client.get(LIST).json()["results"]}
    assert reverse("task-done", kwargs={"key": key}) == f"{LIST}{key}/done/"


def test_snooze_with_the_date_in_the_body_or_the_path(world, api, follow_up_key):
    key, made = follow_up_key
    client = api(world.billing)  # every member may: not only the assignee
    until = today() + dt.timedelta(days=3)
    body = client.post(f"{LIST}{key}/snooze/", {"until": until.isoformat()}, format="json")
    assert body.status_code == 200 and body.json()["snoozed_until"] == until.isoformat()
    later = until + dt.timedelta(days=1)
    path = client.post(f"{LIST}{key}/snooze/{later.isoformat()}/")
    assert path.status_code == 200 and path.json()["snoozed_until"] == later.isoformat()
    assert key not in {r["key"] for r in api(world.staff).get(LIST).json()["results"]}


@pytest.mark.parametrize("until", ["yesterday", "today", "2026-02-30", ""])
def test_snooze_refuses_a_date_not_in_the_future_naming_until(world, api, follow_up_key, until):
    key, _made = follow_up_key
    value = {
        "yesterday": (today() - dt.timedelta(days=1)).isoformat(),
        "today": today().isoformat(),
    }.get(until, until)
    client = api(world.staff)
    response = client.post(f"{LIST}{key}/snooze/", {"until": value}, format="json")
    assert response.status_code == 400 and "until" in response.json()
    if value:
        in_path = client.post(f"{LIST}{key}/snooze/{value}/")
        assert in_path.status_code == 400 and "until" in in_path.json()
    assert not TaskState.objects.exists()


def test_anonymous_is_refused(db, api):
    assert api().get(LIST).status_code in (401, 403)


def _count(client, django_assert_max_num_queries) -> int:
    # Signed in with force_authenticate: the same user object, whose roles are read once.
    client.get(LIST, {"view": "practice"})
    with django_assert_max_num_queries(12 + LOG_WRITE) as captured:
        assert client.get(LIST, {"view": "practice"}).status_code == 200
    return len(captured.captured_queries)


def test_list_statements_are_few_and_constant(world, api, django_assert_max_num_queries):
    client = api(world.staff)
    make_tasks(world)
    one = _count(client, django_assert_max_num_queries)
    make_tasks(world, n=6)
    assert _count(client, django_assert_max_num_queries) == one


def test_list_shows_the_soonest_and_says_there_are_more(world, api, monkeypatch):
    """A practice with thousands of tasks gets its soonest TASK_LIMIT, read by due date in
    SQL; a task marked done takes no place among them."""
    from negotiations.api import worklist as api_module
    from tests.factories import CaseFactory

    monkeypatch.setattr(api_module, "TASK_LIMIT", 2)
    cases = [
        CaseFactory(
            practice=world.practice,
            assigned_to=world.staff,
            status="submitted",
            submitted_at=timezone.now(),
            follow_up_on=today() - dt.timedelta(days=days),
        )
        for days in (1, 4, 2, 3)
    ]
    oldest = cases[1]
    TaskState.objects.create(
        practice=world.practice,
        key=task_key(FOLLOW_UP, oldest.pk, oldest.follow_up_on),
        done_at=timezone.now(),
    )
    data = api(world.staff).get(LIST, {"kind": FOLLOW_UP}).json()
    assert [r["case"] for r in data["results"]] == [cases[3].pk, cases[2].pk]
    assert data["more"] is True and data["count"] == 2
    everything = api(world.staff).get(LIST, {"kind": FOLLOW_UP, "view": "practice"}).json()
    assert everything["more"] is True
    monkeypatch.setattr(api_module, "TASK_LIMIT", 3)
    assert api(world.staff).get(LIST, {"kind": FOLLOW_UP}).json()["more"] is False
