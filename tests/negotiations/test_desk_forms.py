"""Issue 16: a refused desk form comes back in place (400) with what was typed, the error
beside the field and in a summary at the form's top, its <details> open; the header keeps the
practice, role and unread count; "Sent by" offers a channel the insurer can be reached by;
money in the panel carries thousands separators."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus
from cases.selectors.submissions import default_channel
from cases.services.submissions import case_submit
from negotiations.models import Agreement, Offer
from negotiations.services.offers import offer_record
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def desk(step: str, case) -> str:
    return reverse(f"negotiations:desk_{step}", args=[case.pk])


@pytest.fixture
def submitted(ready_case, world):
    ConsentFactory(case=ready_case)
    return case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")


@pytest.fixture
def negotiating(submitted, world, aba_code):
    offer_record(
        case_id=submitted.pk,
        actor=world.billing,
        lines=[{"billing_code": aba_code, "rate": Decimal("14.00")}],
    )
    return submitted


def form_block(html: str, action: str) -> str:
    """The <details> around the form posting to ``action``, up to its </form>."""
    at = html.index(f'action="{action}"')
    start = html.rindex("<details", 0, at)
    return html[start : html.index("</form>", at)]


def field_block(html: str, name: str) -> str:
    start = html.index(f'id="field-{name}"')
    return html[start : html.index("</div>\n", html.index("</label>", start))]


def summary(block: str) -> str:
    match = re.search(r"<div class=\"form-errors error-summary\".*?</div>", block, re.S)
    assert match, "no error summary at the form's top"
    return match.group(0)


def terms(number="AUTH-2026-9", start=30, end=209) -> dict:
    return {
        "terms-authorization_number": number,
        "terms-start_date": (today() + dt.timedelta(days=start)).isoformat(),
        "terms-end_date": (today() + dt.timedelta(days=end)).isoformat(),
        "terms-sessions_authorized": "72",
    }


def test_a_refused_accept_comes_back_in_place_with_what_was_typed(world, web, negotiating):
    offer = Offer.objects.get(case=negotiating)
    data = {"offer": offer.pk, **terms(start=60, end=20)}  # the end before the start
    response = web(world.billing).post(desk("accept", negotiating), data)
    assert response.status_code == 400
    html = response.content.decode()
    block = form_block(html, desk("accept", negotiating))
    assert block.startswith('<details class="card" open')
    assert 'value="AUTH-2026-9"' in field_block(block, "terms-authorization_number")
    assert f'value="{data["terms-start_date"]}"' in field_block(block, "terms-start_date")
    end = field_block(block, "terms-end_date")
    assert "The agreement must end after it starts." in end and 'aria-invalid="true"' in end
    top = summary(block)
    assert 'href="#id_terms-end_date"' in top and "must end after it starts" in top
    assert f'name="offer" value="{offer.pk}"' in block
    assert not Agreement.objects.exists()
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION


def test_an_offer_with_a_future_date_comes_back_in_place(world, web, submitted):
    service = submitted.services.get()
    future = (today() + dt.timedelta(days=3)).isoformat()
    data = {
        f"offer-rate-{service.pk}": "14.25",
        "meta-received_on": future,
        "meta-rep_name": "J. Rep",
        "meta-reference_number": "REF-88",
    }
    response = web(world.billing).post(desk("offer", submitted), data)
    assert response.status_code == 400
    block = form_block(response.content.decode(), desk("offer", submitted))
    assert block.startswith('<details class="card" open')
    received = field_block(block, "meta-received_on")
    assert "This date is in the future." in received and f'value="{future}"' in received
    assert 'value="14.25"' in field_block(block, f"offer-rate-{service.pk}")
    assert 'value="REF-88"' in block
    assert 'href="#id_meta-received_on"' in summary(block)
    assert not Offer.objects.exists()


def test_a_refused_counter_comes_back_in_place(world, web, negotiating):
    service = negotiating.services.get()
    data = {
        f"counter-expressed_as-{service.pk}": "rate",
        f"counter-rate-{service.pk}": "15.75",
        f"counter-units-{service.pk}": "0",  # refused: units are 1 or more
        "counter-meta-received_on": today().isoformat(),
        "counter-meta-rep_name": "Dana Ortiz",
    }
    response = web(world.billing).post(desk("counter", negotiating), data)
    assert response.status_code == 400
    block = form_block(response.content.decode(), desk("counter", negotiating))
    assert block.startswith('<details class="card" open')
    units = field_block(block, f"counter-units-{service.pk}")
    assert "units are a whole number" in units and 'value="0"' in units
    assert 'value="15.75"' in block and 'value="Dana Ortiz"' in block
    assert f'href="#id_counter-units-{service.pk}"' in summary(block)
    assert Offer.objects.filter(case=negotiating).count() == 1


def test_a_refused_decline_comes_back_in_place(world, web, negotiating):
    response = web(world.billing).post(desk("decline", negotiating), {"decline-reason": "  "})
    assert response.status_code == 400
    block = form_block(response.content.decode(), desk("decline", negotiating))
    assert block.startswith('<details class="card" open')
    assert "This field is required." in field_block(block, "decline-reason")
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION


def test_a_refused_contact_has_its_summary_at_the_forms_top(world, web, submitted):
    response = web(world.staff).post(desk("contact", submitted), {"contact-summary": ""})
    assert response.status_code == 400
    block = form_block(response.content.decode(), desk("contact", submitted) + "#log-contact")
    assert "open" in block[: block.index(">")]
    assert "error-summary" in block


def test_the_header_keeps_practice_role_and_unread_count_after_a_refused_form(
    world, web, negotiating
):
    from negotiations.models import Notification

    Notification.objects.create(user=world.billing, case=negotiating, message="SCA #1 changed")
    offer = Offer.objects.get(case=negotiating)
    response = web(world.billing).post(
        desk("accept", negotiating), {"offer": offer.pk, **terms(start=60, end=20)}
    )
    assert response.status_code == 400
    header = response.content.decode().split("<header", 1)[1].split("</header>", 1)[0]
    assert "Bright Path ABA" in header
    assert "· Billing" in header
    assert re.search(r'class="count">1<', header)


def test_a_history_restore_of_a_page_keeps_the_header(world, web, negotiating):
    # htmx asks for a whole page again (Back to a page it changed): the header is drawn whole.
    response = web(world.billing).get(
        reverse("cases:detail", args=[negotiating.pk]),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    header = response.content.decode().split("<header", 1)[1].split("</header>", 1)[0]
    assert "Bright Path ABA" in header and "· Billing" in header


def test_sent_by_defaults_to_a_channel_the_insurer_can_be_reached_by():
    fax_only = {"fax": "555-0100", "email": "", "portal": "", "phone": "", "mail": ""}
    assert default_channel("email", fax_only) == "fax"
    assert default_channel("email", {**fax_only, "fax": "", "portal": "p.example"}) == "portal"
    assert default_channel("email", {**fax_only, "email": "sca@payer.example"}) == "email"
    assert default_channel("", {k: "" for k in fax_only}) == "fax"
    assert default_channel("portal", {k: "" for k in fax_only}) == "portal"


def test_money_in_the_panel_has_thousands_separators(world, web, negotiating, aba_code):
    offer_record(
        case_id=negotiating.pk,
        actor=world.billing,
        lines=[{"billing_code": aba_code, "rate": Decimal("9888.00")}],
    )
    html = web(world.billing).get(reverse("cases:detail", args=[negotiating.pk])).content
    assert "$9,888.00" in html.decode()
    assert "$9888.00" not in html.decode()


def test_a_refused_accept_after_the_offer_was_declined_answers_its_error(world, web, negotiating):
    """A stale tab: a colleague declined meanwhile, then the accept has a bad date."""
    offer = Offer.objects.get(case=negotiating)
    browser = web(world.billing)
    declined = browser.post(desk("decline", negotiating), {"decline-reason": "Rate too low"})
    assert declined.status_code == 302
    response = browser.post(
        desk("accept", negotiating),
        {"offer": offer.pk, **terms(), "terms-start_date": "2026-02-30"},
    )
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_a_refused_accept_on_a_case_with_no_offer_answers_its_error(world, web, submitted):
    response = web(world.billing).post(
        desk("accept", submitted), {"offer": "1", **terms(), "terms-start_date": "2026-02-30"}
    )
    assert response.status_code == 400
