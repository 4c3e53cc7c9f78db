"""The API's Idempotency-Key on POST creates (DESIGN.md rule 12)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import Client, IdempotentRequest
from cases.services.idempotency import idempotency_sweep
from cases.tasks import sweep_idempotent_requests
from tests.factories import InsurerFactory, MembershipFactory, ProviderFactory, UserFactory


def _client_body(world, insurer, **extra):
    return {
        "practice": world.practice.pk,
        "first_name": "Ava",
        "last_name": "Stone",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG100",
        **extra,
    }


def _post(api, user, body, key, url=None):
    return api(user).post(
        url or reverse("client-list"), body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_same_key_same_body_answers_the_first_response_and_makes_one_record(world, api):
    insurer = InsurerFactory()
    body = _client_body(world, insurer)
    first = _post(api, world.staff, body, "key-1")
    again = _post(api, world.staff, body, "key-1")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_same_key_other_body_is_422_idempotency_key_reused(world, api):
    insurer = InsurerFactory()
    assert _post(api, world.staff, _client_body(world, insurer), "key-2").status_code == 201
    other = _post(api, world.staff, _client_body(world, insurer, first_name="Eli"), "key-2")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_confirm_duplicate_is_not_part_of_the_body_digest(world, api):
    insurer = InsurerFactory()
    body = _client_body(world, insurer)
    assert _post(api, world.staff, body, "key-c").status_code == 201
    again = _post(api, world.staff, {**body, "confirm_duplicate": True}, "key-c")
    assert again.status_code == 201
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_keys_are_scoped_per_user(world, api):
    insurer = InsurerFactory()
    colleague = MembershipFactory(practice=world.practice, role="staff", user=UserFactory()).user
    assert _post(api, world.staff, _client_body(world, insurer), "shared").status_code == 201
    body = _client_body(world, insurer, member_id="EVG200")
    assert _post(api, colleague, body, "shared").status_code == 201
    assert Client.objects.filter(practice=world.practice).count() == 2


def test_keys_are_scoped_per_path(world, api):
    insurer = InsurerFactory()
    assert _post(api, world.staff, _client_body(world, insurer), "same").status_code == 201
    provider = {
        "practice": world.practice.pk,
        "first_name": "Mo",
        "last_name": "Reyes",
        "credential": "BCBA",
        "npi": ProviderFactory.build().npi,
    }
    response = _post(api, world.staff, provider, "same", url=reverse("provider-list"))
    assert response.status_code == 201, response.json()


def test_a_failed_first_attempt_frees_the_key(world, api):
    insurer = InsurerFactory()
    bad = _post(api, world.staff, _client_body(world, insurer, member_id=""), "key-3")
    assert bad.status_code == 400
    assert not IdempotentRequest.objects.exists()
    # The corrected request with the same key runs (another body is fine: nothing was kept).
    assert _post(api, world.staff, _client_body(world, insurer), "key-3").status_code == 201


def test_a_refused_role_claims_nothing(world, api, ready_case):
    url = reverse("case-offer-list", args=[ready_case.pk])
    assert _post(api, world.staff, {}, "key-4", url=url).status_code == 403
    assert not IdempotentRequest.objects.exists()


def test_a_key_longer_than_255_characters_is_400_naming_the_header(world, api):
    insurer = InsurerFactory()
    response = _post(api, world.staff, _client_body(world, insurer), "k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Client.objects.exists()


def test_a_request_while_the_first_is_running_is_409_idempotency_in_progress(world, api):
    insurer = InsurerFactory()
    body = _client_body(world, insurer)
    first = _post(api, world.staff, body, "key-5")
    # As if the first were still running: its answer not recorded yet.
    IdempotentRequest.objects.update(status_code=None)
    again = _post(api, world.staff, body, "key-5")
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "idempotency_in_progress"


def test_without_the_header_every_post_creates(world, api):
    # No insurer yet: nothing makes these two the same client.
    body = {"practice": world.practice.pk, "first_name": "Ava", "last_name": "Stone",
            "date_of_birth": "2019-03-14"}  # fmt: skip
    for _ in range(2):
        assert api(world.staff).post(reverse("client-list"), body).status_code == 201
    assert not IdempotentRequest.objects.exists()


def test_case_create_replays_its_detail(world, api, insurer):
    client = Client.objects.create(
        practice=world.practice,
        first_name="Ava",
        last_name="Stone",
        date_of_birth=dt.date(2019, 3, 14),
        insurer=insurer,
        member_id="EVG1",
    )
    body = {
        "client": client.pk,
        "insurer": insurer.pk,
        "provider": ProviderFactory(practice=world.practice).pk,
        "reason": "network_inadequacy",
        "initiated_by": "patient",
    }
    first = _post(api, world.staff, body, "case-1", url=reverse("case-list"))
    again = _post(api, world.staff, body, "case-1", url=reverse("case-list"))
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert client.cases.count() == 1


def test_a_replay_to_someone_who_can_no_longer_see_the_record_is_404(world, api):
    """A member removed from the practice sends the create again: no patient data comes back,
    however the key was kept."""
    from cases.models import AccessLog, Membership

    insurer = InsurerFactory()
    body = _client_body(world, insurer)
    first = _post(api, world.staff, body, "gone-1")
    assert first.status_code == 201
    Membership.objects.filter(user=world.staff, practice=world.practice).delete()
    logged = AccessLog.objects.count()
    removed = type(world.staff).objects.get(pk=world.staff.pk)  # as a new request loads them
    again = _post(api, removed, body, "gone-1")
    assert again.status_code == 404
    assert "Ava" not in again.content.decode()
    assert AccessLog.objects.count() == logged


def test_a_key_with_a_control_character_is_400_naming_the_header(world, api):
    response = _post(api, world.staff, _client_body(world, InsurerFactory()), "a\x00b")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


def test_expired_keys_are_swept_and_no_longer_answer(world, api):
    insurer = InsurerFactory()
    body = _client_body(world, insurer)
    assert _post(api, world.staff, body, "old").status_code == 201
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    fresh_body = _client_body(world, insurer, member_id="EVG300")
    assert _post(api, world.staff, fresh_body, "fresh").status_code == 201
    assert idempotency_sweep() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]
    # The old key is free again.
    assert _post(api, world.staff, {**fresh_body, "member_id": "EVG400"}, "old").status_code == 201


def test_the_hourly_task_sweeps(world):
    IdempotentRequest.objects.create(
        user=world.staff, method="POST", path="/x/", key="k", body_sha256="0" * 64, status_code=201
    )
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert sweep_idempotent_requests() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_make_one_record(api):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers")
    from tests.factories import PracticeFactory

    practice = PracticeFactory()
    user = MembershipFactory(practice=practice, role="staff", user=UserFactory()).user
    insurer = InsurerFactory()
    body = {
        "practice": practice.pk,
        "first_name": "Ava",
        "last_name": "Stone",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG900",
    }
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send():
        try:
            barrier.wait()
            statuses.append(_post(api, user, body, "race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Client.objects.filter(practice=practice).count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
