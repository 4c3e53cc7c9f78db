"""The guided request's steps (issue 16): one draft per run whatever Back does, dates refused
where they are typed, the review's ✕ linking to the step that fixes it, truthful chips, the
duplicate notices with their confirm, and the focus marker of a saved step."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Client
from tests.factories import (
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

START = reverse("cases:request_start")


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _details(client, provider, **over) -> dict:
    return {
        "insurer": client.insurer_id, "provider": provider.pk, "reason": "network_inadequacy",
        "initiated_by": "patient", "service_type": "aba", "planned_start_date": _day(20),
        "requested_start": _day(20), "requested_end": _day(200), "sessions_requested": "60",
        "clinical_justification": "No in-network BCBA within 40 miles.",
    } | over  # fmt: skip


@pytest.fixture
def setup(world, policy):
    client = ClientFactory(practice=world.practice, insurer=policy.insurer)
    return client, ProviderFactory(practice=world.practice)


def _step2(browser, client) -> tuple[str, str]:
    """Open step 2 for ``client`` as a link does: (its address, the run's token)."""
    response = browser.get(START + f"?client={client.pk}")
    assert response.status_code == 302
    url = response["Location"]
    return url, re.search(r"run=([\w-]+)", url).group(1)


def _create(browser, client, run, **data):
    post = {"create_case": "1", "client_id": client.pk, "run": run} | data
    return browser.post(START, post)


# ------------------------------------------------------------------------ one draft per run


def test_back_from_step_3_and_saving_again_updates_the_draft(world, web, setup):
    client, provider = setup
    browser = web(world.staff)
    url, run = _step2(browser, client)
    assert browser.get(url).status_code == 200
    first = _create(browser, client, run, **_details(client, provider))
    case = Case.objects.get(client=client)
    assert first["Location"] == reverse("cases:request_step", args=[case.pk, "services"]) + (
        "?saved=1"
    )
    # Back: the browser fetches step 2's address again; it now edits the draft.
    again = browser.get(url)
    assert again["Location"] == reverse("cases:request_step", args=[case.pk, "details"])
    # A form restored from the browser's memory posts the run again: the same draft changes.
    _create(browser, client, run, **_details(client, provider, sessions_requested="48"))
    assert Case.objects.filter(client=client).count() == 1
    case.refresh_from_db()
    assert case.sessions_requested == 48


def test_a_new_run_for_the_same_client_starts_a_new_form(world, web, setup):
    client, _ = setup
    browser = web(world.staff)
    _, run_a = _step2(browser, client)
    _, run_b = _step2(browser, client)
    assert run_a != run_b
    html = browser.get(START + f"?client={client.pk}&run={run_b}").content.decode()
    assert f'name="run" value="{run_b}"' in html


def test_the_client_step_names_the_client_by_id_only(world, web, setup):
    client, _ = setup
    response = web(world.staff).post(START, {"mode": "pick", "client": client.pk})
    assert response["Location"].startswith(START + f"?client={client.pk}&run=")
    assert client.last_name not in response["Location"]


# ------------------------------------------------------------------------- dates at step 2


def test_period_ending_before_it_starts_is_refused_at_step_2(world, web, setup):
    client, provider = setup
    browser = web(world.staff)
    _, run = _step2(browser, client)
    response = _create(browser, client, run, **_details(client, provider, requested_end=_day(10)))
    assert response.status_code == 400
    html = response.content.decode()
    assert not Case.objects.filter(client=client).exists()
    # Beside the field (the widget points at it), in the summary, and the typed value kept.
    assert 'id="id_requested_end_error"' in html
    assert 'aria-describedby="id_requested_end_error"' in html
    assert "The requested period must end after it starts." in html
    assert 'href="#id_requested_end"' in html
    assert f'value="{_day(10)}"' in html
    assert "No in-network BCBA within 40 miles." in html


def test_period_starting_in_the_past_is_refused_at_step_2_by_the_readiness_rule(world, web, setup):
    client, provider = setup
    browser = web(world.staff)
    _, run = _step2(browser, client)
    response = _create(
        browser, client, run,
        **_details(client, provider, requested_start=_day(-10), planned_start_date=_day(5)),
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_requested_start_error"' in html
    assert "the earliest start allowed is" in html  # period_already_started's own words


def test_period_end_before_start_is_refused_when_editing_a_draft(world, web, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    data = _details(ready_case.client, ready_case.provider, requested_end=_day(1))
    response = web(world.staff).post(step, data | {"version": ready_case.version})
    assert response.status_code == 400
    assert 'id="id_requested_end_error"' in response.content.decode()


def test_a_drafts_untouched_past_start_does_not_block_saving_other_fields(world, web, ready_case):
    Case.objects.filter(pk=ready_case.pk).update(requested_start=timezone.localdate() - dt.
                                                 timedelta(days=3))  # fmt: skip
    ready_case.refresh_from_db()
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    data = _details(ready_case.client, ready_case.provider, sessions_requested="50")
    data |= {"requested_start": ready_case.requested_start.isoformat(),
             "requested_end": ready_case.requested_end.isoformat(),
             "planned_start_date": ready_case.planned_start_date.isoformat(),
             "version": ready_case.version}  # fmt: skip
    assert web(world.staff).post(step, data).status_code == 302


# ---------------------------------------------------------------------------- the review


def test_review_cross_items_link_to_the_step_that_fixes_them(world, web, setup):
    client, _ = setup
    case = CaseFactory(practice=world.practice, client=client, insurer=client.insurer,
                       provider=None, created_by=world.staff)  # fmt: skip
    html = web(world.staff).get(reverse("cases:request_step", args=[case.pk, "review"]))
    html = html.content.decode()
    details = reverse("cases:request_step", args=[case.pk, "details"])
    services = reverse("cases:request_step", args=[case.pk, "services"])
    searches = reverse("cases:request_step", args=[case.pk, "searches"])
    # provider_missing → details, no_services → services, network_search_incomplete → searches
    assert re.search(r"Choose the provider[^<]*<a href=\"" + re.escape(details), html)
    assert re.search(r"Add at least one billing code[^<]*<a href=\"" + re.escape(services), html)
    assert re.search(r"Document at least \d[^<]*<a href=\"" + re.escape(searches), html)


# ---------------------------------------------------------------------------------- chips


def _chip(html: str, label: str) -> str:
    return re.search(r'<li class="(\w*)">\s*<(?:a|span)[^>]*>' + label, html).group(1)


def test_client_chip_shows_done_once_a_client_is_chosen(world, web, setup):
    client, _ = setup
    browser = web(world.staff)
    url, _ = _step2(browser, client)
    assert _chip(browser.get(url).content.decode(), "Client") == "done"
    assert _chip(browser.get(START).content.decode(), "Client") == ""


def test_client_chip_is_done_on_every_step_of_a_draft(world, web, ready_case):
    html = web(world.staff).get(reverse("cases:request_step", args=[ready_case.pk, "services"]))
    assert _chip(html.content.decode(), "Client") == "done"


def test_consent_chip_not_done_for_a_patient_initiated_case_without_consent(world, web, ready_case):
    assert ready_case.initiated_by == "patient"
    step = reverse("cases:request_step", args=[ready_case.pk, "services"])
    html = web(world.staff).get(step).content.decode()
    assert _chip(html, "Consent") == ""
    assert re.search(r">Consent <small>\(optional\)</small>", html)
    ConsentFactory(case=ready_case)
    assert _chip(web(world.staff).get(step).content.decode(), "Consent") == "done"


def test_attachments_chip_is_optional_not_done_until_one_is_added(world, web, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "services"])
    html = web(world.staff).get(step).content.decode()
    assert _chip(html, "Attachments") == ""
    CaseAttachmentFactory(case=ready_case)
    assert _chip(web(world.staff).get(step).content.decode(), "Attachments") == "done"


# ------------------------------------------------------------------------------ duplicates


def test_duplicate_open_case_is_named_with_a_link_and_a_confirm(world, web, setup):
    client, provider = setup
    existing = CaseFactory(practice=world.practice, client=client, insurer=client.insurer,
                           created_by=world.staff)  # fmt: skip
    browser = web(world.staff)
    _, run = _step2(browser, client)
    response = _create(browser, client, run, **_details(client, provider))
    assert response.status_code == 409
    html = response.content.decode()
    assert f'href="{reverse("cases:detail", args=[existing.pk])}"' in html
    assert 'name="confirm_duplicate"' in html and "Create anyway" in html
    assert "No in-network BCBA within 40 miles." in html  # the typed values stay
    assert Case.objects.filter(client=client).count() == 1
    confirmed = _create(browser, client, run, **_details(client, provider), confirm_duplicate="on")
    assert confirmed.status_code == 302
    assert Case.objects.filter(client=client).count() == 2


def test_duplicate_client_is_named_with_a_link_and_a_confirm(world, web, setup):
    client, _ = setup
    browser = web(world.staff)
    data = {
        "mode": "new", "new-first_name": "Rosa", "new-last_name": "Delgado",
        "new-date_of_birth": client.date_of_birth.isoformat(), "new-insurer": client.insurer_id,
        "new-member_id": client.member_id,
    }  # fmt: skip
    response = browser.post(START, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This client may already exist" in html
    assert re.search(rf'href="[^"]*/{client.pk}/[^"]*"', html)
    assert 'name="new-confirm_duplicate"' in html
    assert 'value="Rosa"' in html
    assert Client.objects.filter(member_id=client.member_id).count() == 1
    confirmed = browser.post(START, data | {"new-confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Client.objects.filter(member_id=client.member_id).count() == 2


# ------------------------------------------------------------------- focus and the lists


def test_saved_steps_mark_the_next_steps_heading_for_focus(world, web, ready_case):
    browser = web(world.staff)
    for step, after in [("services", "searches"), ("searches", "consent"),
                        ("consent", "attachments"), ("attachments", "review")]:  # fmt: skip
        response = browser.post(reverse("cases:request_step", args=[ready_case.pk, step]),
                                {"next": "1"})  # fmt: skip
        assert (
            response["Location"]
            == reverse("cases:request_step", args=[ready_case.pk, after]) + "?saved=1"
        )
        html = browser.get(response["Location"]).content.decode()
        assert html.count("data-step-heading") == 1
        assert 'data-step-heading tabindex="-1"' in html


def test_search_list_shows_notes_and_distance(world, web, ready_case):
    search = ready_case.network_searches.first()
    search.notes = "Waitlist closed until spring."
    search.distance_miles = "42.5"
    search.save()
    step = reverse("cases:request_step", args=[ready_case.pk, "searches"])
    html = web(world.staff).get(step).content.decode()
    assert "Waitlist closed until spring." in html
    assert "42.5 mi" in html
