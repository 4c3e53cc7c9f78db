"""The one-time form token on the pages (DESIGN.md rule 12): a repeated post of one rendered
form answers the first post's redirect instead of making a second record."""

import pytest
from django.urls import reverse

from cases.models import Client, IdempotentRequest
from tests.factories import InsurerFactory

MIDDLEWARE = "sca_portal.once.OnceTokenMiddleware"


@pytest.fixture(autouse=True)
def once_middleware(settings):
    # Until the lead adds it to settings.MIDDLEWARE (after the messages and htmx middleware).
    if MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("django_htmx.middleware.HtmxMiddleware") + 1, MIDDLEWARE)
        settings.MIDDLEWARE = middleware


def _form(insurer, **changes):
    return {
        "first_name": "Ava",
        "last_name": "Stone",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG100",
        "line_of_business": "commercial",
        "_once": "5f0c4f0e-1111-4a4a-8c8c-000000000001",
        **changes,
    }


def test_a_repeated_post_answers_the_same_redirect_and_makes_one_record(world, web):
    browser = web(world.staff)
    form = _form(InsurerFactory())
    first = browser.post(reverse("cases:client_create"), form)
    again = browser.post(reverse("cases:client_create"), form)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Client.objects.filter(practice=world.practice).count() == 1
    page = browser.get(again["Location"])
    assert "Already saved." in page.content.decode()


def test_a_repeat_with_a_changed_field_still_answers_the_first_redirect(world, web):
    browser = web(world.staff)
    insurer = InsurerFactory()
    browser.post(reverse("cases:client_create"), _form(insurer))
    again = browser.post(reverse("cases:client_create"), _form(insurer, first_name="Eva"))
    assert again.status_code == 302
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_an_htmx_repeat_gets_hx_redirect(world, web):
    browser = web(world.staff)
    form = _form(InsurerFactory())
    browser.post(reverse("cases:client_create"), form)
    again = browser.post(reverse("cases:client_create"), form, HTTP_HX_REQUEST="true")
    assert again.status_code == 204
    assert again["HX-Redirect"] == reverse("cases:client_list")


def test_form_errors_free_the_token(world, web):
    browser = web(world.staff)
    insurer = InsurerFactory()
    refused = browser.post(reverse("cases:client_create"), _form(insurer, member_id=""))
    assert refused.status_code == 400
    assert not IdempotentRequest.objects.exists()
    fixed = browser.post(reverse("cases:client_create"), _form(insurer))
    assert fixed.status_code == 302
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_another_token_is_another_post(world, web):
    browser = web(world.staff)
    insurer = InsurerFactory()
    browser.post(reverse("cases:client_create"), _form(insurer))
    second = _form(insurer, member_id="EVG200", _once="another-token")
    assert browser.post(reverse("cases:client_create"), second).status_code == 302
    assert Client.objects.filter(practice=world.practice).count() == 2


def test_the_kept_location_is_a_path_without_patient_data(world, web):
    browser = web(world.staff)
    browser.post(reverse("cases:client_create"), _form(InsurerFactory()))
    row = IdempotentRequest.objects.get()
    assert row.location == reverse("cases:client_list")
    assert row.response_body is None
    assert "Ava" not in str(row.location) and "EVG100" not in str(row.location)


def test_posts_without_a_token_run_as_before(world, web):
    browser = web(world.staff)
    form = _form(InsurerFactory())
    del form["_once"]
    assert browser.post(reverse("cases:client_create"), form).status_code == 302
    assert not IdempotentRequest.objects.exists()
