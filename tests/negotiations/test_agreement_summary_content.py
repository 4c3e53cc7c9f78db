"""What the agreement summary says (issue 14, "Better documents"): every code with its
description, the provider, the diagnosis, who at the insurer agreed and when, money with
thousands separators, and a floor claimed only when the practice has one."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from cases.selectors.documents import context_for, template_for
from core.pdf import render_pdf_document
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    OfferFactory,
    PracticeRateFactory,
)


def summary_text(case) -> str:
    kind = "agreement_summary"
    rendered = render_pdf_document(template_for(kind), context_for(kind, case))
    reader = PdfReader(io.BytesIO(rendered.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def agreed_case(ready_case, aba_code):
    """An approved case whose agreement came from the insurer's offer: 480 units of 97153 at
    $20.60 ($9,888.00) and 24 of 97156 at $30.00."""
    ready_case.status, ready_case.submitted_at = "approved", timezone.now()
    ready_case.client.diagnosis_codes = ["F84.0", "F89"]
    ready_case.client.save()
    ready_case.save()
    offer = OfferFactory(
        case=ready_case, rep_name="Jamie Ortiz", reference_number="REF-7731", status="accepted"
    )
    agreement = AgreementFactory(case=ready_case, source_offer=offer, authorization_number="A-9")
    AgreementLineFactory(
        agreement=agreement, billing_code=aba_code, rate=Decimal("20.60"), units_authorized=480
    )
    family = BillingCodeFactory(
        code="97156", short_description="Family adaptive behavior treatment guidance"
    )
    AgreementLineFactory(
        agreement=agreement, billing_code=family, rate=Decimal("30.00"), units_authorized=24
    )
    return ready_case


def test_summary_spells_out_codes_provider_and_diagnosis(agreed_case):
    text = summary_text(agreed_case)
    provider = agreed_case.provider
    assert "97153 Adaptive behavior treatment by protocol" in text
    assert "97156 Family adaptive behavior treatment guidance" in text
    assert f"{provider.first_name} {provider.last_name}, BCBA (NPI {provider.npi})" in text
    assert "F84.0 Autistic disorder" in text
    assert "F89 Unspecified disorder of psychological development" in text


def test_summary_names_the_insurer_representative_and_the_date_of_agreement(agreed_case):
    text = summary_text(agreed_case)
    agreed = timezone.localdate(agreed_case.agreement.created_at).strftime("%m/%d/%Y")
    assert "Insurer representative Jamie Ortiz" in text
    assert f"Agreed on {agreed} (the insurer's offer of" in text and "reference REF-7731" in text


def test_an_approval_without_an_offer_says_the_representative_is_not_recorded(agreed_case):
    agreement = agreed_case.agreement
    agreement.source_offer = None
    agreement.save()
    text = summary_text(agreed_case)
    assert "(approved as requested)" in text
    assert "Insurer representative not recorded" in text


def test_money_has_thousands_separators(agreed_case):
    text = summary_text(agreed_case)
    assert "$20.60 480 Total $9,888.00" in text
    assert "Total value $10,608.00" in text


def test_no_floor_is_claimed_when_the_practice_has_none(agreed_case):
    text = summary_text(agreed_case)
    assert "floor" not in text.lower()
    assert "Every requested code is covered by the agreement." in text


def test_a_floor_is_claimed_only_for_the_codes_that_have_one(agreed_case, world, aba_code):
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, floor_rate=Decimal("18"))
    text = summary_text(agreed_case)
    assert "No agreed rate is below the practice's floor rate (floors are set for 97153)" in text


def test_a_rate_below_todays_floor_is_flagged(agreed_case, world, aba_code):
    PracticeRateFactory(
        practice=world.practice,
        billing_code=aba_code,
        usual_rate=Decimal("25.00"),
        floor_rate=Decimal("21.00"),
    )
    text = summary_text(agreed_case)
    assert "Below the practice's current floor rate: 97153" in text
    assert "No agreed rate is below" not in text
