"""Counters in the browser as in the API (issue 15, part 4): units, the representative and
reference, a counter expressed as a percentage of billed charges or of the Medicaid or TRICARE
schedule, units offered against units requested, refusals that keep what was typed, and the
panel's wording when no insurer offer is open."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus, PolicyKind
from cases.services.appeals import appeal_file, case_deny
from cases.services.submissions import case_submit
from negotiations.models import Agreement, Offer, OfferLine
from negotiations.services.offers import offer_record
from tests.factories import (
    CaseFactory,
    InsurerFactory,
    NetworkSearchFactory,
    PolicyRateFactory,
    PracticeRateFactory,
    RatePolicyFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.django_db

INSTRUCTION = "Accept the insurer's offer or decline the SCA."


def today() -> dt.date:
    return timezone.localdate()


def desk(step: str, case) -> str:
    return reverse(f"negotiations:desk_{step}", args=[case.pk])


def workspace(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def offers_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/offers/"


def field_block(html: str, name: str) -> str:
    """The markup of one form field (templates/includes/field.html), by its input's name."""
    start = html.index(f'id="field-{name}"')
    ends = [
        i for i in (html.find('<div class="field', start), html.find("</form>", start)) if i > 0
    ]
    return html[start : min(ends)]


def details_of(html: str, summary: str) -> str:
    """The opening tag of the <details> whose summary reads ``summary``."""
    end = html.index(summary)
    return html[html.rindex("<details", 0, end) : end]


def record_offer(case, actor, rate="14.00", units=None):
    service = case.services.select_related("billing_code").get()
    line = {"billing_code": service.billing_code, "modifier": "", "rate": Decimal(rate)}
    if units is not None:
        line.update(units=units, unit_period="total")
    return offer_record(case_id=case.pk, actor=actor, lines=[line])


@pytest.fixture
def negotiating(ready_case, world):
    """Requested 480 units of 97153 at $17.00; the insurer offered $14.00 for 400 units."""
    case_submit(case_id=ready_case.pk, actor=world.staff)
    record_offer(ready_case, world.billing, units=400)
    ready_case.refresh_from_db()
    return ready_case


def counter_form(case, amount="15.50", basis="rate", units="", **meta) -> dict:
    service = case.services.get()
    return {
        f"counter-expressed_as-{service.pk}": basis,
        f"counter-rate-{service.pk}": amount,
        f"counter-units-{service.pk}": units,
        "counter-meta-received_on": meta.get("received_on", today().isoformat()),
        "counter-meta-rep_name": meta.get("rep_name", ""),
        "counter-meta-reference_number": meta.get("reference_number", ""),
        "counter-meta-notes": meta.get("notes", ""),
    }


def api_counter(aba_code, **line) -> dict:
    return {
        "party": "practice",
        "lines": [{"billing_code": aba_code.pk, "modifier": "", **line}],
    }


# ----------------------------------------------------------------------------- the browser


def test_counter_with_units_in_browser(world, web, negotiating):
    service = negotiating.services.get()
    browser = web(world.billing)
    html = browser.get(workspace(negotiating)).content.decode()
    # The units input names the code and is prefilled with the units requested.
    units = field_block(html, f"counter-units-{service.pk}")
    assert "97153 units countered (optional)" in units and 'value="480"' in units
    response = browser.post(desk("counter", negotiating), counter_form(negotiating, units="440"))
    assert response.status_code == 302
    line = Offer.objects.get(case=negotiating, party="practice").lines.get()
    assert (line.rate, line.units, line.unit_period) == (Decimal("15.50"), 440, "total")
    assert (line.expressed_as, line.percent) == ("rate", None)
    assert "97153 $15.50 × 440" in browser.get(workspace(negotiating)).content.decode()


def test_counter_keeps_typed_values_on_refusal(world, web, negotiating):
    service = negotiating.services.get()
    form = counter_form(negotiating, amount="15.75", units="0", rep_name="Dana Ortiz")
    response = web(world.billing).post(desk("counter", negotiating), form)
    # The workspace again (no redirect), with the counter form open and as typed.
    assert response.status_code == 400
    html = response.content.decode()
    assert " open" in details_of(html, "Send a counter-offer")
    units = field_block(html, f"counter-units-{service.pk}")
    assert "units are a whole number from 1 to 100,000." in units
    assert 'aria-invalid="true"' in units and 'value="0"' in units
    assert f'aria-describedby="id_counter-units-{service.pk}_error"' in units
    assert 'value="15.75"' in field_block(html, f"counter-rate-{service.pk}")
    assert 'value="Dana Ortiz"' in field_block(html, "counter-meta-rep_name")
    assert not Offer.objects.filter(party="practice").exists()
    # A refusal by the service (a percent above 500) lands beside the same input.
    form = counter_form(negotiating, amount="650", basis="percent_of_billed")
    PracticeRateFactory(practice=world.practice, billing_code=service.billing_code)
    html = web(world.billing).post(desk("counter", negotiating), form).content.decode()
    amount = field_block(html, f"counter-rate-{service.pk}")
    assert "less than or equal to 500" in amount and 'value="650"' in amount
    assert '<option value="percent_of_billed" selected>' in html


def test_counter_records_rep_and_reference(world, web, negotiating):
    sent = today() - dt.timedelta(days=1)
    form = counter_form(
        negotiating,
        received_on=sent.isoformat(),
        rep_name="Dana Ortiz",
        reference_number="CTR-2026-14",
        notes="Faxed with the counter letter.",
    )
    assert web(world.billing).post(desk("counter", negotiating), form).status_code == 302
    counter = Offer.objects.get(case=negotiating, party="practice")
    assert (counter.received_on, counter.rep_name, counter.reference_number, counter.notes) == (
        sent,
        "Dana Ortiz",
        "CTR-2026-14",
        "Faxed with the counter letter.",
    )
    assert counter.created_by == world.billing


def test_counter_as_percent_of_billed_uses_usual_rate(world, web, api, negotiating, aba_code):
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate=Decimal("18.00"))
    form = counter_form(negotiating, amount="85", basis="percent_of_billed", units="460")
    assert web(world.billing).post(desk("counter", negotiating), form).status_code == 302
    line = Offer.objects.get(case=negotiating, party="practice").lines.get()
    # 85% of $18.00.
    assert (line.expressed_as, line.percent, line.rate, line.units) == (
        "percent_of_billed",
        Decimal("85.00"),
        Decimal("15.30"),
        460,
    )
    html = web(world.billing).get(workspace(negotiating)).content.decode()
    assert "97153 $15.30 (85% of billed charges) × 460" in html
    # The API shows how it was expressed beside the rate it came to.
    listed = api(world.billing).get(offers_url(negotiating)).json()
    assert {k: listed[-1]["lines"][0][k] for k in ("rate", "expressed_as", "percent")} == {
        "rate": "15.30",
        "expressed_as": "percent_of_billed",
        "percent": "85.00",
    }


def test_counter_as_percent_of_medicaid_uses_reference_rate(
    world, api, negotiating, policy, aba_code
):
    policy.reference_schedule = "medicaid"
    policy.save()
    PolicyRateFactory(policy=policy, billing_code=aba_code, reference_rate=Decimal("14.45"))
    # The usual rate is not what a percent of the Medicaid schedule reads.
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate=Decimal("20"))
    response = api(world.billing).post(
        offers_url(negotiating),
        api_counter(aba_code, expressed_as="percent_of_medicaid", percent="90", units=450),
        format="json",
    )
    assert response.status_code == 201, response.content
    line = response.json()["lines"][0]
    # 90% of $14.45 is 13.005: half up to 13.01.
    assert (line["rate"], line["expressed_as"], line["percent"], line["units"]) == (
        "13.01",
        "percent_of_medicaid",
        "90.00",
        450,
    )
    stored = OfferLine.objects.get(offer__party="practice")
    assert (stored.rate, stored.percent) == (Decimal("13.01"), Decimal("90.00"))
    # A percent of the TRICARE schedule is not known under a Medicaid schedule.
    response = api(world.billing).post(
        offers_url(negotiating),
        api_counter(aba_code, expressed_as="percent_of_tricare", percent="90"),
        format="json",
    )
    assert response.status_code == 400
    assert "TRICARE" in response.json()["lines[0].percent"][0]


def test_percent_without_base_is_400(world, api, negotiating, aba_code):
    billing = api(world.billing)
    # No usual rate for the code in the practice's fee schedule.
    response = billing.post(
        offers_url(negotiating),
        api_counter(aba_code, expressed_as="percent_of_billed", percent="85"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["lines[0].percent"][0].startswith("No usual rate for 97153: ")
    # The policy has no Medicaid schedule.
    response = billing.post(
        offers_url(negotiating),
        api_counter(aba_code, expressed_as="percent_of_medicaid", percent="85"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["lines[0].percent"][0].startswith(
        "No Medicaid reference rate for 97153: "
    )
    # A percent needs its basis, and a percent basis takes no rate.
    for line, field in (
        ({"rate": "15.00", "percent": "85"}, "lines[0].percent"),
        ({"expressed_as": "percent_of_billed"}, "lines[0].percent"),
        ({"expressed_as": "percent_of_billed", "percent": "85", "rate": "15.00"}, "lines[0].rate"),
        ({}, "lines[0].rate"),
    ):
        response = billing.post(
            offers_url(negotiating), api_counter(aba_code, **line), format="json"
        )
        assert response.status_code == 400, line
        assert field in response.json(), (line, response.json())
    assert not Offer.objects.filter(party="practice").exists()


def test_counter_on_non_negotiable_policy_is_409_rate_not_negotiable(
    world, api, negotiating, policy, aba_code
):
    policy.kind = PolicyKind.PERCENT_OF_REFERENCE
    policy.percent = Decimal("90")
    policy.reference_schedule = "medicaid"
    policy.save()
    PolicyRateFactory(policy=policy, billing_code=aba_code, reference_rate=Decimal("14.45"))
    # Whatever the line (a percent counter included): the policy allows no counter.
    for line in ({"rate": "15.00"}, {"expressed_as": "percent_of_medicaid", "percent": "95"}):
        response = api(world.billing).post(
            offers_url(negotiating), api_counter(aba_code, **line), format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "rate_not_negotiable"
    assert not Offer.objects.filter(party="practice").exists()


def test_units_zero_is_400(world, api, negotiating, aba_code):
    billing = api(world.billing)
    for units in (0, -5, 100_001):
        response = billing.post(
            offers_url(negotiating), api_counter(aba_code, rate="15.00", units=units), format="json"
        )
        assert response.status_code == 400, units
        assert "units" in response.json()["lines"]["0"], units
    assert not Offer.objects.filter(party="practice").exists()
    # The service holds the bound whoever calls it.
    from django.core.exceptions import ValidationError

    from negotiations.services.offers import offer_counter

    with pytest.raises(ValidationError) as refused:
        offer_counter(
            case_id=negotiating.pk,
            actor=world.billing,
            lines=[{"billing_code": aba_code, "rate": Decimal("15"), "units": 0}],
        )
    assert "lines[0].units" in refused.value.message_dict


# ----------------------------------------------------------------------------- the panel


def test_benchmark_shows_units_offered_vs_requested(world, web, api, negotiating):
    html = web(world.billing).get(workspace(negotiating)).content.decode()
    table = html[html.index('aria-label="Rate benchmarks"') :]
    table = table[: table.index("</table>")]
    assert "Units requested" in table and "Units offered" in table
    assert '<td class="num">480</td>' in table and '<td class="num">400</td>' in table
    data = api(world.billing).get(f"/api/v1/cases/{negotiating.pk}/negotiation/").json()
    row = data["rows"][0]
    assert (row["requested_units"], row["offered_units"]) == (480, 400)
    # Keys added, none taken away.
    assert {"requested_rate", "offered_rate", "suggested_counter", "policy_rate"} <= set(row)
    # An offer without units takes the requested ones.
    record_offer(negotiating, world.billing, rate="14.50")
    html = web(world.billing).get(workspace(negotiating)).content.decode()
    assert "as requested" in html[html.index('aria-label="Rate benchmarks"') :]


@pytest.fixture
def fixed_rate_case(world, aba_code):
    insurer = InsurerFactory(name="Summit Federal Plan")
    policy = RatePolicyFactory(
        practice=world.practice, insurer=insurer, kind=PolicyKind.HIGHEST_NETWORK_RATE
    )
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15"))
    case = CaseFactory(practice=world.practice, insurer=insurer, created_by=world.staff)
    RequestedServiceFactory(case=case, billing_code=aba_code)
    NetworkSearchFactory.create_batch(3, case=case)
    return case_submit(case_id=case.pk, actor=world.staff)


def test_no_accept_decline_text_without_open_offer(world, web, fixed_rate_case):
    browser = web(world.billing)
    # Submitted, no offer yet: the fact, not the instruction.
    html = browser.get(workspace(fixed_rate_case)).content.decode()
    assert "Summit Federal Plan does not negotiate rates" in html
    assert INSTRUCTION not in html
    # With the insurer's offer open, the instruction.
    record_offer(fixed_rate_case, world.billing, rate="15.00")
    assert INSTRUCTION in browser.get(workspace(fixed_rate_case)).content.decode()
    # Denied: no open offer any more.
    case_deny(
        case_id=fixed_rate_case.pk,
        actor=world.billing,
        reason="Not medically necessary.",
        reason_category="not_medically_necessary",
    )
    html = browser.get(workspace(fixed_rate_case)).content.decode()
    assert "does not negotiate rates" in html and INSTRUCTION not in html
    # Appealed: still none.
    appeal_file(case_id=fixed_rate_case.pk, actor=world.billing, level="internal_1")
    assert INSTRUCTION not in browser.get(workspace(fixed_rate_case)).content.decode()


def test_denied_case_panel_shows_only_the_contact_log(world, web, negotiating):
    case_deny(
        case_id=negotiating.pk,
        actor=world.billing,
        reason="Not medically necessary.",
        reason_category="not_medically_necessary",
    )
    html = web(world.billing).get(workspace(negotiating)).content.decode()
    panel = html[html.index('id="negotiation"') :]
    for step in ("offer", "counter", "accept", "approve", "decline", "utilization"):
        assert desk(step, negotiating) not in panel, step
    assert desk("contact", negotiating) in panel


def test_appealed_case_panel_offers_overturn_approval(world, web, negotiating):
    case_deny(
        case_id=negotiating.pk,
        actor=world.billing,
        reason="Not medically necessary.",
        reason_category="not_medically_necessary",
    )
    appeal_file(case_id=negotiating.pk, actor=world.billing, level="internal_1")
    browser = web(world.billing)
    html = browser.get(workspace(negotiating)).content.decode()
    assert "The insurer overturned its denial: record the approval" in html
    assert "The insurer reversed with an offer: record it" in html
    assert "<strong>Approved as requested</strong>" not in html
    assert "Accept the insurer's offer" not in html
    assert INSTRUCTION not in html
    start = (today() + dt.timedelta(days=30)).isoformat()
    end = (today() + dt.timedelta(days=209)).isoformat()
    response = browser.post(
        desk("approve", negotiating),
        {
            "terms-authorization_number": "AUTH-OVERTURNED",
            "terms-start_date": start,
            "terms-end_date": end,
        },
    )
    assert response.status_code == 302
    negotiating.refresh_from_db()
    assert negotiating.status == CaseStatus.APPROVED
    assert negotiating.appeals.get().outcome == "overturned"


def test_accept_refusal_keeps_authorization_number(world, web, negotiating):
    offer = Offer.objects.get(case=negotiating, status="open")
    start = today() + dt.timedelta(days=30)
    before = (start - dt.timedelta(days=1)).isoformat()
    response = web(world.billing).post(
        desk("accept", negotiating),
        {
            "offer": offer.pk,
            "terms-authorization_number": "AUTH-2026-88",
            "terms-start_date": start.isoformat(),
            "terms-end_date": before,
            "terms-sessions_authorized": "60",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert " open" in details_of(html, "Accept the insurer's offer")
    end = field_block(html, "terms-end_date")
    assert "The agreement must end after it starts." in end
    assert 'aria-invalid="true"' in end and f'value="{before}"' in end
    assert 'value="AUTH-2026-88"' in field_block(html, "terms-authorization_number")
    assert f'value="{start.isoformat()}"' in field_block(html, "terms-start_date")
    assert f'name="offer" value="{offer.pk}"' in html
    assert not Agreement.objects.exists()
    offer.refresh_from_db()
    assert offer.status == "open"


def test_percent_of_a_base_too_large_for_a_rate_is_400(world, api, negotiating, aba_code):
    # A usual rate typed wrong: 500% of it does not fit a rate, and is refused, not stored.
    PracticeRateFactory(
        practice=world.practice, billing_code=aba_code, usual_rate=Decimal("99999999.99")
    )
    body = api_counter(aba_code, expressed_as="percent_of_billed", percent="500")
    response = api(world.billing).post(offers_url(negotiating), body, format="json")
    assert response.status_code == 400, response.content
    assert "lines[0].percent" in response.json()
    assert not Offer.objects.filter(case=negotiating, party="practice").exists()


def test_an_offer_before_2000_is_400(world, api, negotiating, aba_code):
    body = {**api_counter(aba_code, rate="15.00"), "received_on": "0001-01-01"}
    response = api(world.billing).post(offers_url(negotiating), body, format="json")
    assert response.status_code == 400 and "received_on" in response.json()
