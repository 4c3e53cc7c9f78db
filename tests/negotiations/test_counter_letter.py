"""The counter-offer letter (issue 15, part 4): the practice's latest counter per code with the
benchmarks that support it, rendered as the worker renders it and read back with pypdf; asked
for only under a negotiable policy and once the practice countered."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases.models import Document
from cases.selectors.documents import context_for, document_kinds_for, template_for
from core.pdf import render_pdf_document
from negotiations.models import OfferLine
from tests.factories import PolicyRateFactory, PracticeRateFactory

COUNTER = "counter_letter"


def letter_text(case) -> str:
    rendered = render_pdf_document(template_for(COUNTER), context_for(COUNTER, case))
    reader = PdfReader(io.BytesIO(rendered.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def offers_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/offers/"


def ask(api, user, case, capture):
    with capture(execute=True):
        return api(user).post(
            f"/api/v1/cases/{case.pk}/documents/", {"kind": COUNTER}, format="json"
        )


@pytest.fixture
def countered_case(world, api, submitted_case, policy, aba_code, offer_body):
    """The insurer offered $14.00 for 400 units of 97153 (480 asked at $17.00); the practice
    countered $16.50 for 440 units. The policy records a highest network rate of $15.75 and a
    reference rate of $13.20; the practice's usual rate is $18.40."""
    PolicyRateFactory(
        policy=policy,
        billing_code=aba_code,
        highest_network_rate=Decimal("15.75"),
        reference_rate=Decimal("13.20"),
    )
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate="18.40")
    billing = api(world.billing)
    insurer = offer_body(rate="14.00", rep_name="Jamie Ortiz", reference_number="OFF-221")
    insurer["lines"][0]["units"] = 400
    assert billing.post(offers_url(submitted_case), insurer, format="json").status_code == 201
    counter = offer_body(party="practice", rate="16.50", rep_name="", reference_number="")
    counter["lines"][0]["units"] = 440
    response = billing.post(offers_url(submitted_case), counter, format="json")
    assert response.status_code == 201, response.content
    submitted_case.refresh_from_db()
    return submitted_case


def test_counter_letter_lists_each_code_with_its_counter_and_benchmarks(countered_case, aba_code):
    text = letter_text(countered_case)
    assert "Counter-offer for a Single Case Agreement" in text
    assert f"97153 {aba_code.short_description}" in text
    assert "$16.50" in text  # the counter rate
    assert "$14.00 400 units" in text  # the insurer's offer it answers
    assert "440 total" in text and "requested 480" in text
    # The benchmarks: the policy's highest network rate and reference rate, the usual rate.
    assert "97153 $16.50 $15.75 $13.20 $18.40" in text
    # 440 units at $16.50.
    assert "Total at the counter rates $7,260.00" in text
    # The representative and the reference (the counter's own blank: the offer's).
    assert "Insurer representative Jamie Ortiz" in text and "Dear Jamie Ortiz" in text
    assert "Offer reference OFF-221" in text
    assert f"SCA-{countered_case.pk}" in text


def test_counter_letter_says_percent_of_billed_charges_when_so_expressed(countered_case):
    OfferLine.objects.filter(offer__case=countered_case, offer__party="practice").update(
        expressed_as="percent_of_billed", percent=Decimal("89.67")
    )
    text = letter_text(countered_case)
    assert "$16.50 (89.67% of billed charges)" in text
    assert "A counter expressed as a percentage" in text


def test_counter_letter_of_a_flat_rate_counter_says_no_percentage(countered_case):
    assert "% of" not in letter_text(countered_case)


def test_counter_letter_is_rendered_by_the_worker(
    world, api, countered_case, django_capture_on_commit_callbacks
):
    assert COUNTER in document_kinds_for(countered_case)
    response = ask(api, world.billing, countered_case, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    document = Document.objects.get(kind=COUNTER)
    assert document.status == "ready", document.error
    reader = PdfReader(io.BytesIO(document.file.read()))
    assert "$16.50" in " ".join(page.extract_text() for page in reader.pages)


def test_counter_letter_refused_without_a_counter(
    world, api, web, submitted_case, offer_body, django_capture_on_commit_callbacks
):
    api(world.billing).post(offers_url(submitted_case), offer_body(), format="json")
    response = ask(api, world.staff, submitted_case, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and response.json()["code"] == "no_counter"
    # The workspace's button: the same refusal, and no button offered.
    page = web(world.staff).post(
        reverse("cases:document_create", args=[submitted_case.pk]),
        {"kind": COUNTER},
        follow=True,
    )
    assert "counter-offer first" in page.content.decode()
    assert COUNTER not in document_kinds_for(submitted_case)
    assert not Document.objects.filter(kind=COUNTER).exists()


@pytest.mark.parametrize("kind", ["highest_network_rate", "percent_of_reference"])
def test_counter_letter_refused_under_a_non_negotiable_policy(
    world, api, countered_case, policy, kind, django_capture_on_commit_callbacks
):
    policy.kind, policy.percent, policy.reference_schedule = kind, Decimal("90"), "tricare"
    policy.save()
    response = ask(api, world.staff, countered_case, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and response.json()["code"] == "rate_not_negotiable"
    assert COUNTER not in document_kinds_for(countered_case)
    assert not Document.objects.filter(kind=COUNTER).exists()
