"""One record per thing (DESIGN.md rule 12): a second open case for the same client, insurer
and period, or a second client with the same insurer, member id and birth date, needs an
explicit confirmation."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from cases.services.case import case_create
from cases.services.people import client_create
from core.exceptions import DomainError
from tests.factories import CaseFactory, ClientFactory, InsurerFactory, ProviderFactory, today


@pytest.fixture
def open_case(world, insurer):
    return CaseFactory(practice=world.practice, insurer=insurer, created_by=world.staff)


def _case_data(case, **changes):
    data = {
        "client": case.client,
        "insurer": case.insurer,
        "provider": ProviderFactory(practice=case.practice),
        "reason": "network_inadequacy",
        "initiated_by": "patient",
        "requested_start": case.requested_start,
        "requested_end": case.requested_end,
    }
    return {**data, **changes}


def test_duplicate_open_case_overlapping_period_is_refused_naming_it(world, open_case):
    with pytest.raises(DomainError) as refused:
        case_create(actor=world.staff, practice=world.practice, data=_case_data(open_case))
    assert refused.value.code == "duplicate_open_case"
    assert refused.value.status == 409
    assert refused.value.extra == {"existing_case": open_case.pk}
    assert f"SCA #{open_case.pk}" in refused.value.detail and "draft" in refused.value.detail


def test_duplicate_open_case_missing_dates_overlap(world, open_case):
    data = _case_data(open_case, requested_start=None, requested_end=None)
    with pytest.raises(DomainError):
        case_create(actor=world.staff, practice=world.practice, data=data)


def test_duplicate_open_case_period_after_the_open_one_is_no_duplicate(world, open_case):
    later = open_case.requested_end + dt.timedelta(days=1)
    data = _case_data(open_case, requested_start=later, requested_end=later + dt.timedelta(90))
    assert case_create(actor=world.staff, practice=world.practice, data=data).pk


def test_duplicate_open_case_other_insurer_is_no_duplicate(world, open_case):
    data = _case_data(open_case, insurer=InsurerFactory())
    assert case_create(actor=world.staff, practice=world.practice, data=data).pk


@pytest.mark.parametrize("status", ["withdrawn", "denied", "approved", "declined", "expired"])
def test_duplicate_open_case_closed_case_is_no_duplicate(world, open_case, status):
    type(open_case).objects.filter(pk=open_case.pk).update(
        status=status, submitted_at=open_case.created_at, decided_at=open_case.created_at
    )
    assert case_create(actor=world.staff, practice=world.practice, data=_case_data(open_case)).pk


@pytest.mark.parametrize("status", ["submitted", "in_negotiation", "appealed"])
def test_duplicate_open_case_every_open_status_counts(world, open_case, status):
    type(open_case).objects.filter(pk=open_case.pk).update(
        status=status, submitted_at=open_case.created_at, decided_at=open_case.created_at
    )
    with pytest.raises(DomainError):
        case_create(actor=world.staff, practice=world.practice, data=_case_data(open_case))


def test_duplicate_open_case_confirm_duplicate_creates(world, open_case):
    case = case_create(
        actor=world.staff,
        practice=world.practice,
        data=_case_data(open_case),
        confirm_duplicate=True,
    )
    assert case.client.cases.count() == 2


def test_duplicate_open_case_confirmation_may_come_in_a_forms_data(world, open_case):
    data = {**_case_data(open_case), "confirm_duplicate": True}
    assert case_create(actor=world.staff, practice=world.practice, data=data).pk


def test_duplicate_open_case_through_the_api(world, api, open_case):
    body = {
        "client": open_case.client_id,
        "insurer": open_case.insurer_id,
        "reason": "network_inadequacy",
        "initiated_by": "patient",
        "requested_start": str(today() + dt.timedelta(days=60)),
    }
    refused = api(world.staff).post(reverse("case-list"), body, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate_open_case"
    assert refused.json()["existing_case"] == open_case.pk
    confirmed = api(world.staff).post(
        reverse("case-list"), {**body, "confirm_duplicate": True}, format="json"
    )
    assert confirmed.status_code == 201
    assert "confirm_duplicate" not in confirmed.json()


def _client_data(client, **changes):
    data = {
        "first_name": "Eli",
        "last_name": "Stone",
        "date_of_birth": client.date_of_birth,
        "insurer": client.insurer,
        "member_id": client.member_id,
    }
    return {**data, **changes}


def test_duplicate_client_same_member_id_and_birth_date_is_refused(world):
    existing = ClientFactory(practice=world.practice, first_name="Ava", last_name="Martin")
    with pytest.raises(DomainError) as refused:
        client_create(actor=world.staff, practice=world.practice, data=_client_data(existing))
    assert refused.value.code == "duplicate_client"
    assert refused.value.extra == {"existing_client": existing.pk}
    # The id only: the other client's initials would be an unlogged read of their record.
    assert f"Client #{existing.pk} has" in refused.value.detail
    assert "AM" not in refused.value.detail and "Ava" not in refused.value.detail
    assert existing.member_id not in refused.value.detail


def test_duplicate_client_archived_says_so(world):
    existing = ClientFactory(practice=world.practice, is_active=False)
    with pytest.raises(DomainError) as refused:
        client_create(actor=world.staff, practice=world.practice, data=_client_data(existing))
    assert f"Client #{existing.pk} (archived) has" in refused.value.detail


def test_duplicate_open_case_confirm_duplicate_false_in_the_guided_request_confirms_nothing(
    world, web, open_case
):
    from cases.models import Case

    browser = web(world.staff)
    before = Case.objects.count()
    response = browser.post(
        reverse("cases:request_start"),
        {
            "client_id": open_case.client_id,
            "create_case": "1",
            "insurer": open_case.insurer_id,
            "provider": ProviderFactory(practice=world.practice).pk,
            "reason": "network_inadequacy",
            "initiated_by": "patient",
            "requested_start": open_case.requested_start.isoformat(),
            "requested_end": open_case.requested_end.isoformat(),
            "service_type": "aba",
            "clinical_justification": "No in-network BCBA within 60 miles.",
            "confirm_duplicate": "false",
        },
    )
    errors = re.findall(r"class=\"error\"[^>]*>(.*?)</", html(response), re.S)
    assert response.status_code == 409, errors
    assert Case.objects.count() == before


def test_duplicate_client_member_id_alone_is_no_duplicate(world):
    existing = ClientFactory(practice=world.practice)
    sibling = _client_data(existing, date_of_birth=dt.date(2021, 6, 1))
    assert client_create(actor=world.staff, practice=world.practice, data=sibling).pk


def test_duplicate_client_other_practice_is_no_duplicate(world):
    existing = ClientFactory(practice=world.other_practice)
    assert client_create(actor=world.staff, practice=world.practice, data=_client_data(existing))


def test_duplicate_client_confirm_duplicate_creates(world):
    existing = ClientFactory(practice=world.practice)
    client = client_create(
        actor=world.staff,
        practice=world.practice,
        data=_client_data(existing),
        confirm_duplicate=True,
    )
    assert client.pk != existing.pk


def test_duplicate_client_through_the_api(world, api):
    existing = ClientFactory(practice=world.practice)
    body = {
        "practice": world.practice.pk,
        "first_name": "Eli",
        "last_name": "Stone",
        "date_of_birth": str(existing.date_of_birth),
        "insurer": existing.insurer_id,
        "member_id": existing.member_id,
    }
    refused = api(world.staff).post(reverse("client-list"), body, format="json")
    assert refused.status_code == 409
    assert refused.json()["existing_client"] == existing.pk
    confirmed = api(world.staff).post(
        reverse("client-list"), {**body, "confirm_duplicate": True}, format="json"
    )
    assert confirmed.status_code == 201


def test_duplicate_client_page_names_it_and_keeps_the_typed_values(world, web):
    existing = ClientFactory(practice=world.practice)
    browser = web(world.staff)
    form = {
        "first_name": "Eli",
        "last_name": "Stone",
        "date_of_birth": str(existing.date_of_birth),
        "insurer": existing.insurer_id,
        "member_id": existing.member_id,
        "line_of_business": "commercial",
    }
    page = browser.post(reverse("cases:client_create"), form)
    assert page.status_code == 409
    html = page.content.decode()
    assert f"Open client #{existing.pk}" in html
    assert 'value="Eli"' in html and 'name="confirm_duplicate"' in html
    assert existing.practice.clients.count() == 1
    done = browser.post(reverse("cases:client_create"), {**form, "confirm_duplicate": "1"})
    assert done.status_code == 302
    assert existing.practice.clients.count() == 2


def html(response) -> str:
    return response.content.decode()
