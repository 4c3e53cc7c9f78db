"""The negotiation panel of the case workspace and its POST endpoints: billing managers act
(offer, counter, accept, approve, decline, utilization), staff see and log contacts, another
practice's case is not found, and refusals come back as messages, never as a 500."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus, PolicyKind
from cases.services.submissions import case_submit
from negotiations.models import Agreement, ContactLog, Offer, UtilizationEntry
from negotiations.services.agreements import offer_accept
from negotiations.services.offers import offer_record
from tests.factories import (
    CaseFactory,
    InsurerFactory,
    NetworkSearchFactory,
    OfferFactory,
    PolicyRateFactory,
    RatePolicyFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.django_db

STEPS = ("offer", "counter", "accept", "approve", "decline", "contact", "utilization")


def today() -> dt.date:
    return timezone.localdate()


def desk(step: str, case) -> str:
    return reverse(f"negotiations:desk_{step}", args=[case.pk])


def workspace(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def submit(case, world) -> Case:
    return case_submit(case_id=case.pk, actor=world.staff)


def record_offer(case, world, rate="14.00", **data):
    service = case.services.select_related("billing_code").get()
    return offer_record(
        case_id=case.pk,
        actor=world.billing,
        lines=[{"billing_code": service.billing_code, "modifier": "", "rate": Decimal(rate)}],
        **data,
    )


def flashed(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def offer_form(case, rate="14.00", **meta) -> dict:
    service = case.services.get()
    return {
        f"offer-rate-{service.pk}": rate,
        "meta-received_on": meta.get("received_on", today().isoformat()),
        "meta-rep_name": meta.get("rep_name", "J. Rep"),
        "meta-reference_number": meta.get("reference_number", "REF-77"),
        "meta-notes": "",
    }


def terms_form(number="AUTH-2026-001", **extra) -> dict:
    return {
        "terms-authorization_number": number,
        "terms-start_date": (today() + dt.timedelta(days=30)).isoformat(),
        "terms-end_date": (today() + dt.timedelta(days=209)).isoformat(),
        "terms-sessions_authorized": "72",
        **extra,
    }


@pytest.fixture
def submitted(ready_case, world) -> Case:
    return submit(ready_case, world)


@pytest.fixture
def negotiating(submitted, world) -> Case:
    record_offer(submitted, world)
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def fixed_rate_case(world, aba_code) -> Case:
    """A submitted case with an insurer that pays its highest in-network rate and does not
    negotiate."""
    insurer = InsurerFactory(name="Summit Federal Plan")
    policy = RatePolicyFactory(
        practice=world.practice, insurer=insurer, kind=PolicyKind.HIGHEST_NETWORK_RATE
    )
    assert not policy.is_negotiable
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    case = CaseFactory(practice=world.practice, insurer=insurer, created_by=world.staff)
    RequestedServiceFactory(case=case, billing_code=aba_code)
    NetworkSearchFactory.create_batch(3, case=case)
    return submit(case, world)


# ----------------------------------------------------------------------------- the panel


def test_billing_sees_the_negotiation_panel_with_the_offer_form_on_a_submitted_case(
    world, web, submitted
):
    page = web(world.billing).get(workspace(submitted))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="negotiation"' in html
    assert "Record the insurer&#x27;s offer" in html or "Record the insurer's offer" in html
    assert desk("offer", submitted) in html
    service = submitted.services.get()
    assert f'name="offer-rate-{service.pk}"' in html
    # A submitted case may also be approved as requested; there is nothing to counter yet.
    assert desk("approve", submitted) in html
    assert "Send a counter-offer" not in html


def test_staff_see_the_panel_but_cannot_record_an_offer(world, web, submitted):
    browser = web(world.staff)
    html = browser.get(workspace(submitted)).content.decode()
    assert 'id="negotiation"' in html and "Benchmarks" in html
    assert "Record the insurer's offer" not in html
    assert desk("offer", submitted) not in html
    assert desk("approve", submitted) not in html
    # Staff still log contacts with the insurer.
    assert desk("contact", submitted) in html

    response = browser.post(desk("offer", submitted), offer_form(submitted))
    assert response.status_code == 403
    assert not Offer.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED


def test_a_draft_has_no_negotiation_panel(world, web, ready_case):
    html = web(world.billing).get(workspace(ready_case)).content.decode()
    assert 'id="negotiation"' not in html


# ----------------------------------------------------------------------------- offers


def test_billing_records_the_insurers_offer_and_the_case_is_in_negotiation(world, web, submitted):
    browser = web(world.billing)
    response = browser.post(desk("offer", submitted), offer_form(submitted, rate="13.25"))
    assert response.status_code == 302
    assert response["Location"] == workspace(submitted) + "#negotiation"

    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.IN_NEGOTIATION
    offer = Offer.objects.get(case=submitted)
    assert (offer.party, offer.status, offer.rep_name, offer.reference_number) == (
        "insurer",
        "open",
        "J. Rep",
        "REF-77",
    )
    assert offer.created_by == world.billing
    assert offer.lines.get().rate == Decimal("13.25")

    page = browser.get(workspace(submitted))
    assert "The insurer&#x27;s offer is recorded." in page.content.decode() or any(
        "offer is recorded" in m for m in flashed(page)
    )
    assert "97153 $13.25" in page.content.decode()


def test_offers_appear_in_the_panel_in_time_order(world, web, submitted):
    browser = web(world.billing)
    # Entered out of order: the later offer first, then the earlier one.
    later, earlier = today() - dt.timedelta(days=1), today() - dt.timedelta(days=6)
    for received, rate in ((later, "14.75"), (earlier, "12.10")):
        response = browser.post(
            desk("offer", submitted),
            offer_form(submitted, rate=rate, received_on=received.isoformat()),
        )
        assert response.status_code == 302
    assert Offer.objects.filter(case=submitted).count() == 2

    html = browser.get(workspace(submitted)).content.decode()
    timeline = html[html.index('aria-label="Offers in time order"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert re.findall(r'datetime="([0-9-]+)"', timeline) == [
        earlier.isoformat(),
        later.isoformat(),
    ]
    assert timeline.index("$12.10") < timeline.index("$14.75")
    # The open offer is the last one entered (it supersedes the other), whatever its date.
    assert Offer.objects.get(status="open").lines.get().rate == Decimal("12.10")


def field_block(html: str, name: str) -> str:
    """The workspace's markup of one form field (templates/includes/field.html), by input name."""
    start = html.index(f'id="field-{name}"')
    ends = [
        i for i in (html.find('<div class="field', start), html.find("</form>", start)) if i > 0
    ]
    return html[start : min(ends)]


def test_a_bad_rate_gives_a_clear_message_not_a_server_error(world, web, submitted):
    browser = web(world.billing)
    service = submitted.services.get()
    for bad in ("abc", "NaN", "1e9", "12.345", "Infinity"):
        response = browser.post(desk("offer", submitted), offer_form(submitted, rate=bad))
        # The workspace again, the error beside the rate and the details as typed.
        assert response.status_code == 400, bad
        html = response.content.decode()
        block = field_block(html, f"offer-rate-{service.pk}")
        assert "enter the rate in dollars, e.g. 62.50" in block, bad
        assert 'aria-invalid="true"' in block, bad
        assert 'value="REF-77"' in field_block(html, "meta-reference_number")
    assert not Offer.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED


def test_an_offer_without_any_rate_or_with_a_future_date_is_refused_with_a_message(
    world, web, submitted
):
    browser = web(world.billing)
    service = submitted.services.get()
    response = browser.post(desk("offer", submitted), offer_form(submitted, rate=""))
    assert response.status_code == 400
    assert "List at least one code with its rate." in response.content.decode()
    future = (today() + dt.timedelta(days=3)).isoformat()
    response = browser.post(desk("offer", submitted), offer_form(submitted, received_on=future))
    assert response.status_code == 400
    block = field_block(response.content.decode(), "meta-received_on")
    assert "This date is in the future." in block and f'value="{future}"' in block
    response = browser.post(desk("offer", submitted), offer_form(submitted, rate="-3"))
    assert response.status_code == 400
    block = field_block(response.content.decode(), f"offer-rate-{service.pk}")
    assert "cannot be negative" in block and 'value="-3"' in block
    assert not Offer.objects.exists()


# ----------------------------------------------------------------------------- counters


def test_a_non_negotiable_policy_shows_a_banner_and_no_counter_offer_form(
    world, web, fixed_rate_case
):
    record_offer(fixed_rate_case, world, rate="15.00")
    html = web(world.billing).get(workspace(fixed_rate_case)).content.decode()
    assert 'id="not-negotiable"' in html
    assert "Summit Federal Plan does not negotiate rates" in html
    assert "Send a counter-offer" not in html
    assert desk("counter", fixed_rate_case) not in html
    assert "Suggested counter" not in html
    # Accepting or declining is what is left, and the accept form is open.
    assert desk("accept", fixed_rate_case) in html and desk("decline", fixed_rate_case) in html


def test_a_forced_counter_offer_under_a_non_negotiable_policy_is_refused(
    world, web, fixed_rate_case
):
    record_offer(fixed_rate_case, world, rate="15.00")
    service = fixed_rate_case.services.get()
    response = web(world.billing).post(
        desk("counter", fixed_rate_case), {f"counter-rate-{service.pk}": "16.00"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == workspace(fixed_rate_case) + "#negotiation"
    assert any(
        "there is no counter-offer. Accept the offer or decline the SCA." in m
        for m in flashed(response)
    )
    assert not Offer.objects.filter(case=fixed_rate_case, party="practice").exists()
    assert Offer.objects.get(case=fixed_rate_case).status == "open"


def test_under_a_negotiable_policy_the_counter_form_is_prefilled_with_the_suggested_counter(
    world, web, negotiating
):
    service = negotiating.services.get()
    # Requested 17.00, offered 14.00: the midpoint.
    html = web(world.billing).get(workspace(negotiating)).content.decode()
    assert "Send a counter-offer" in html
    assert 'id="not-negotiable"' not in html
    assert re.search(rf'name="counter-rate-{service.pk}" value="15.50"', html)

    browser = web(world.billing)
    response = browser.post(desk("counter", negotiating), {f"counter-rate-{service.pk}": "15.50"})
    assert response.status_code == 302
    counter = Offer.objects.get(case=negotiating, party="practice")
    assert counter.status == "open" and counter.lines.get().rate == Decimal("15.50")
    assert Offer.objects.get(case=negotiating, party="insurer").status == "superseded"
    # The practice's own counter is open now: there is nothing to counter or accept.
    html = browser.get(workspace(negotiating)).content.decode()
    assert "Our counter-offer" in html
    assert "Send a counter-offer" not in html
    assert desk("accept", negotiating) not in html


# ----------------------------------------------------------------------------- decisions


def test_accepting_the_offer_approves_the_case_and_shows_the_agreement(world, web, negotiating):
    offer = Offer.objects.get(case=negotiating)
    browser = web(world.billing)
    response = browser.post(
        desk("accept", negotiating), {"offer": offer.pk, **terms_form("AUTH-7781")}, follow=True
    )
    assert response.status_code == 200
    assert any("Offer accepted" in m for m in flashed(response))
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.APPROVED
    assert negotiating.authorization_number == "AUTH-7781"
    agreement = Agreement.objects.get(case=negotiating)
    assert agreement.source_offer == offer and agreement.sessions_authorized == 72
    assert agreement.lines.get().rate == Decimal("14.00")
    html = response.content.decode()
    assert "Agreement AUTH-7781" in html
    assert "Record the insurer" not in html and desk("accept", negotiating) not in html


def test_accepting_without_an_authorization_number_saves_nothing(world, web, negotiating):
    offer = Offer.objects.get(case=negotiating)
    response = web(world.billing).post(
        desk("accept", negotiating), {"offer": offer.pk, **terms_form("")}
    )
    assert response.status_code == 400
    block = field_block(response.content.decode(), "terms-authorization_number")
    assert "This field is required." in block and 'aria-invalid="true"' in block
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION
    assert not Agreement.objects.exists()
    offer.refresh_from_db()
    assert offer.status == "open"


def test_accepting_an_offer_of_another_case_is_not_found(world, web, negotiating):
    other_case = CaseFactory(
        practice=world.practice, status="in_negotiation", submitted_at=timezone.now()
    )
    elsewhere = OfferFactory(case=other_case)
    response = web(world.billing).post(
        desk("accept", negotiating), {"offer": elsewhere.pk, **terms_form()}
    )
    assert response.status_code == 404
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("offer_id", ["abc", "", "1.5", "-1", "99999999999999999999", "\u0663"])
def test_accepting_with_a_malformed_offer_id_is_not_a_server_error(
    world, web, negotiating, offer_id
):
    response = web(world.billing).post(
        desk("accept", negotiating), {"offer": offer_id, **terms_form()}
    )
    assert response.status_code == 404
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION
    assert not Agreement.objects.exists()


def test_approving_as_requested_from_submitted_writes_the_requested_terms(world, web, submitted):
    response = web(world.billing).post(
        desk("approve", submitted), terms_form("AUTH-APPROVED"), follow=True
    )
    assert any("Approved as requested" in m for m in flashed(response))
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.APPROVED
    line = Agreement.objects.get(case=submitted).lines.get()
    assert (line.rate, line.units_authorized) == (Decimal("17.00"), 480)
    assert "Agreement AUTH-APPROVED" in response.content.decode()


def test_approving_needs_an_authorization_number(world, web, submitted):
    response = web(world.billing).post(desk("approve", submitted), terms_form(""))
    assert response.status_code == 400
    block = field_block(response.content.decode(), "terms-authorization_number")
    assert "This field is required." in block
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED
    assert not Agreement.objects.exists()


def test_declining_needs_a_reason(world, web, negotiating):
    browser = web(world.billing)
    response = browser.post(desk("decline", negotiating), {"decline-reason": "  "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION

    response = browser.post(
        desk("decline", negotiating), {"decline-reason": "Below our floor."}, follow=True
    )
    assert any("Declined" in m for m in flashed(response))
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.DECLINED
    assert negotiating.decision_reason == "Below our floor."
    assert Offer.objects.get(case=negotiating).status == "rejected"


def test_a_decision_on_a_closed_case_is_refused_with_a_message(world, web, negotiating):
    browser = web(world.billing)
    browser.post(desk("decline", negotiating), {"decline-reason": "No."})
    response = browser.post(desk("approve", negotiating), terms_form(), follow=True)
    assert response.status_code == 200 and flashed(response)
    response = browser.post(desk("offer", negotiating), offer_form(negotiating), follow=True)
    assert response.status_code == 200 and flashed(response)
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.DECLINED
    assert not Agreement.objects.exists()
    assert Offer.objects.filter(case=negotiating).count() == 1


# ----------------------------------------------------------------------------- contacts


def test_logging_a_contact_sets_the_cases_follow_up_date(world, web, submitted):
    follow_up = today() + dt.timedelta(days=5)
    response = web(world.staff).post(
        desk("contact", submitted),
        {
            "contact-direction": "outbound",
            "contact-channel": "phone",
            "contact-contact_name": "Robin at provider relations",
            "contact-reference_number": "CALL-9",
            "contact-summary": "Asked for a decision date.",
            "contact-follow_up_on": follow_up.isoformat(),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert any("Contact logged." in m for m in flashed(response))
    entry = ContactLog.objects.get(case=submitted)
    assert entry.created_by == world.staff and entry.follow_up_on == follow_up
    submitted.refresh_from_db()
    assert submitted.follow_up_on == follow_up
    assert "Asked for a decision date." in response.content.decode()


def test_a_contact_without_a_summary_is_refused(world, web, submitted):
    # The workspace again, the error beside the field and the input kept (400).
    response = web(world.staff).post(
        desk("contact", submitted),
        {
            "contact-direction": "outbound",
            "contact-channel": "phone",
            "contact-contact_name": "Rob",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-contact-summary"') :]
    assert "This field is required." in field[: field.index("</div>\n</div>")]
    assert 'value="Rob"' in html
    assert not ContactLog.objects.exists()


# ----------------------------------------------------------------------------- utilization


@pytest.fixture
def approved(world, negotiating) -> Case:
    offer = Offer.objects.get(case=negotiating)
    offer_accept(
        case_id=negotiating.pk,
        offer_id=offer.pk,
        actor=world.billing,
        authorization_number="AUTH-USE",
        start_date=today() - dt.timedelta(days=10),
        end_date=today() + dt.timedelta(days=100),
    )
    negotiating.refresh_from_db()
    return negotiating


def use_form(case, units, on=None) -> dict:
    line = case.agreement.lines.get()
    return {
        "use-service_date": (on or today()).isoformat(),
        "use-line": str(line.pk),
        "use-units": str(units),
    }


def test_recording_use_shows_progress(world, web, approved):
    browser = web(world.billing)
    response = browser.post(desk("utilization", approved), use_form(approved, 120), follow=True)
    assert any(m == "Use recorded." for m in flashed(response))
    html = response.content.decode()
    assert "120 of 480 units" in html
    assert re.search(r'<progress id="use-\d+" max="480" value="120">25(\.00)?%</progress>', html)
    assert 'badge-bad">over' not in html


def test_recording_use_past_the_authorized_units_is_flagged(world, web, approved):
    browser = web(world.billing)
    browser.post(desk("utilization", approved), use_form(approved, 400))
    refused = browser.post(desk("utilization", approved), use_form(approved, 100))
    html = refused.content.decode()
    assert "would take 97153 to 500 of its 480 authorized units" in html
    assert 'name="use-confirm_over_authorized"' in html
    assert not UtilizationEntry.objects.filter(over_authorized=True).exists()
    confirmed = {**use_form(approved, 100), "use-confirm_over_authorized": "on"}
    response = browser.post(desk("utilization", approved), confirmed, follow=True)
    assert any("past the authorized units" in m for m in flashed(response))
    assert UtilizationEntry.objects.filter(over_authorized=True).count() == 1
    html = response.content.decode()
    assert "500 of 480 units" in html and 'badge-bad">over' in html


def test_recording_use_outside_the_agreement_is_refused_with_a_message(world, web, approved):
    before = today() - dt.timedelta(days=11)
    response = web(world.billing).post(
        desk("utilization", approved), use_form(approved, 4, on=before)
    )
    assert response.status_code == 400 and "Outside the agreement" in response.content.decode()
    assert not UtilizationEntry.objects.exists()


def test_recording_use_without_an_agreement_is_refused_with_a_message(world, web, negotiating):
    response = web(world.billing).post(
        desk("utilization", negotiating),
        {"use-service_date": today().isoformat(), "use-line": "1", "use-units": "2"},
        follow=True,
    )
    assert response.status_code == 200
    assert flashed(response)
    assert not UtilizationEntry.objects.exists()


def test_staff_record_use_as_in_the_api(world, web, approved):
    # Session use is logged by the front desk; the API's utilization endpoint allows staff too.
    response = web(world.staff).post(desk("utilization", approved), use_form(approved, 2))
    assert response.status_code == 302
    assert UtilizationEntry.objects.get().units == 2


# ----------------------------------------------------------------------------- isolation


@pytest.mark.parametrize("step", STEPS)
def test_another_practice_gets_not_found_on_every_desk_endpoint(world, web, negotiating, step):
    response = web(world.other_staff).post(desk(step, negotiating), {"offer": "1"})
    assert response.status_code == 404
    assert web(world.other_staff).get(workspace(negotiating)).status_code == 404
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.IN_NEGOTIATION
    assert Offer.objects.filter(case=negotiating).count() == 1
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize("step", STEPS)
def test_anonymous_is_sent_to_sign_in_from_every_desk_endpoint(db, client, step):
    response = client.post(reverse(f"negotiations:desk_{step}", args=[1]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_desk_endpoints_take_only_post(world, web, negotiating):
    assert web(world.billing).get(desk("offer", negotiating)).status_code == 405


# ----------------------------------------------------------------------------- queries


def test_the_workspace_of_a_case_in_negotiation_runs_a_fixed_number_of_queries(
    world, web, negotiating
):
    browser = web(world.billing)
    url = workspace(negotiating)
    browser.get(url)  # warm up the session and the per-process caches
    with CaptureQueriesContext(connection) as one:
        assert browser.get(url).status_code == 200
    for i in range(9):
        record_offer(negotiating, world, rate=f"{14 + i}.00")
    assert Offer.objects.filter(case=negotiating).count() == 10
    with CaptureQueriesContext(connection) as ten:
        page = browser.get(url)
    assert page.content.decode().count("Insurer offer") == 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]
