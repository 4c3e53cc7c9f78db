"""The appeal letter (issue 15, part 3), the renewal sentence of the request letter (part 5) and
the practice's parity paragraph: each letter rendered as the worker renders it (WeasyPrint) and
its text read back with pypdf."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import Case, Document, InsurerContact
from cases.selectors.appeals import DEFAULT_PARITY_TEXT
from cases.selectors.documents import context_for, document_kinds_for
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from cases.services.submissions import case_submit
from tests.factories import (
    BillingCodeFactory,
    CaseAttachmentFactory,
    CaseFactory,
    NetworkSearchFactory,
    ProviderDocumentFactory,
    RequestedServiceFactory,
)

from .test_document_content import text_of

APPEAL = "appeal_letter"
DENIAL_WORDS = "Services exceed the intensity supported by the member's assessment."


def words(text: str) -> str:
    return " ".join(text.split())


def deny(case, user, category="not_medically_necessary", reason=DENIAL_WORDS, **extra):
    """Submit ``case`` (it passes readiness) with the insurer's reference, then deny it."""
    case_submit(case_id=case.pk, actor=user, insurer_reference="EHP-2024-5531")
    # Sent two weeks ago, so that the denial's date is not the letter's.
    Case.objects.filter(pk=case.pk).update(submitted_at=timezone.now() - dt.timedelta(days=14))
    received = extra.pop("received_on", timezone.localdate() - dt.timedelta(days=5))
    case_deny(
        case_id=case.pk,
        actor=user,
        reason=reason,
        reason_category=category,
        received_on=received,
        **extra,
    )
    case.refresh_from_db()
    return case


def ask(api, user, case, capture, kind=APPEAL):
    with capture(execute=True):
        return api(user).post(f"/api/v1/cases/{case.pk}/documents/", {"kind": kind}, format="json")


def read_back(document) -> list[str]:
    document.refresh_from_db()
    assert document.status == "ready", document.error
    reader = PdfReader(io.BytesIO(document.file.read()))
    return [words(page.extract_text()) for page in reader.pages]


@pytest.fixture
def denied_case(world, ready_case):
    ready_case.client.diagnosis_codes = ["F84.0"]
    ready_case.client.save()
    CaseAttachmentFactory(case=ready_case, kind="treatment_plan", title="Treatment plan 2024")
    return deny(ready_case, world.staff)


# ----------------------------------------------------------------------------- what it says


def test_appeal_letter_cites_denial_and_answers_reason(denied_case, aba_code):
    case = denied_case
    RequestedServiceFactory(
        case=case,
        billing_code=BillingCodeFactory(
            code="97155", short_description="Treatment with protocol modification"
        ),
        units=8,
        unit_period="per_week",
    )
    text = words(text_of(APPEAL, case))
    received = case.denial_received_on
    assert f"Date of denial {received:%m/%d/%Y}" in text
    assert f"your denial of {received:%B} {received.day}, {received.year}" in text
    assert "EHP-2024-5531" in text  # the insurer's reference
    assert f"SCA-{case.pk}" in text
    assert "reason as not medically necessary" in text
    assert f"“{DENIAL_WORDS}”" in text  # the insurer's words, quoted
    # The level: the first this commercial plan has, as nothing is filed yet.
    assert "Level of appeal Internal appeal (first level)" in text
    # The answer to "not medically necessary": the justification, the diagnosis with its
    # description, the clinical records enclosed.
    assert "are medically necessary" in text
    assert words(case.clinical_justification) in text
    assert "F84.0 Autistic disorder" in text
    assert "Treatment plan (Treatment plan 2024)" in text
    assert "Enclosures" in text and "Treatment plan: Treatment plan 2024" in text
    # Every requested code spelled out.
    assert f"97153 {aba_code.short_description}" in text
    assert "97155 Treatment with protocol modification 8 Per week" in text
    # No other category's answer.
    assert "A network is adequate" not in text


def test_appeal_letter_asks_for_the_claim_file_of_a_commercial_plan(denied_case):
    text = words(text_of(APPEAL, denied_case))
    assert "The claim file and the criteria used" in text
    assert "free of charge" in text and "29 CFR 2560.503-1(h)(2)(iii)" in text
    assert "42 CFR 438.406" not in text


def test_appeal_letter_asks_for_the_case_file_of_a_medicaid_plan(denied_case):
    denied_case.client.line_of_business = "medicaid"
    denied_case.client.save()
    text = words(text_of(APPEAL, denied_case))
    assert "42 CFR 438.406" in text and "free of charge" in text
    assert "2560.503-1" not in text


def test_appeal_letter_parity_paragraph_is_the_shipped_default(denied_case):
    text = words(text_of(APPEAL, denied_case))
    assert "Mental health parity" in text
    assert "Mental Health Parity and Addiction Equity Act" in text
    assert words(DEFAULT_PARITY_TEXT)[-60:] in text


def test_appeal_letter_parity_paragraph_is_the_practices_own_when_set(world, denied_case):
    world.practice.appeal_parity_text = "Our own parity paragraph, citing state law 12-345."
    world.practice.save()
    text = words(text_of(APPEAL, denied_case))
    assert "Our own parity paragraph, citing state law 12-345." in text
    assert "Addiction Equity Act" not in text


def test_appeal_letter_parity_paragraph_left_out_for_tricare(denied_case):
    denied_case.client.line_of_business = "tricare"
    denied_case.client.save()
    text = words(text_of(APPEAL, denied_case))
    assert "Parity" not in text and "parity" not in text
    assert "claim file" not in text  # TRICARE's reconsideration has no such request
    assert "Level of appeal TRICARE reconsideration" in text


def test_appeal_letter_for_in_network_available_prints_the_documented_search(world, ready_case):
    NetworkSearchFactory(
        case=ready_case,
        provider_name="Sunrise Autism Center",
        outcome="waitlist",
        wait_weeks=26,
        distance_miles="14.5",
        notes="Intake said no openings before spring.",
    )
    case = deny(ready_case, world.staff, "in_network_available", "A network provider is near.")
    text = words(text_of(APPEAL, case))
    assert "reason as an in-network provider is available" in text
    assert "4 providers contacted, 3 of them unable" not in text  # all four failed here
    assert "4 providers contacted" in text
    assert "Sunrise Autism Center" in text and "Waitlist" in text
    assert "26 weeks" in text and "14.5 miles" in text
    assert "Intake said no openings before spring." in text
    assert "The longest wait offered was 26 weeks" in text
    assert "A network is adequate only when" in text
    assert "are medically necessary" not in text


@pytest.mark.parametrize(
    ("category", "says"),
    [
        ("reduced_units", "40 per week, 10 hours a week"),
        ("provider_credentials", "holds the BCBA credential"),
        ("incomplete_request", "This appeal completes it"),
        ("diagnosis_not_covered", "F84.0 Autistic disorder"),
        ("not_covered", "name the provision of the member's coverage"),
        ("oon_benefits_available", "out-of-network benefits"),
        ("other", "The request was made for network inadequacy"),
    ],
)
def test_appeal_letter_answers_each_category_from_the_case(world, ready_case, category, says):
    service = ready_case.services.get()
    service.units, service.unit_period = 40, "per_week"
    service.save()
    case = deny(ready_case, world.staff, category, "Denied.")
    assert says in words(text_of(APPEAL, case))


def test_appeal_letter_for_provider_credentials_lists_the_documents_on_file(world, ready_case):
    ProviderDocumentFactory(
        practice=world.practice,
        provider=ready_case.provider,
        kind="bcba_certificate",
        expires_on=timezone.localdate() + dt.timedelta(days=400),
    )
    case = deny(ready_case, world.staff, "provider_credentials", "Not credentialed.")
    text = words(text_of(APPEAL, case))
    assert f"NPI {case.provider.npi}" in text
    assert "BCBA certificate (valid through" in text


def test_appeal_letter_names_the_pending_level_and_an_expedited_appeal(world, denied_case):
    appeal_file(
        case_id=denied_case.pk,
        actor=world.billing,
        level="internal_1",
        reference="APL-778",
        expedited=True,
    )
    denied_case.refresh_from_db()
    text = words(text_of(APPEAL, denied_case))
    assert "EXPEDITED APPEAL — urgent care, decision requested within 72 hours" in text
    assert "Level of appeal Internal appeal (first level) (expedited)" in text
    assert "Appeal reference APL-778" in text


def test_appeal_letter_after_an_upheld_level_asks_for_the_next(world, denied_case):
    appeal, _ = appeal_file(case_id=denied_case.pk, actor=world.billing, level="internal_1")
    appeal_decide(
        case_id=denied_case.pk, appeal_id=appeal.pk, actor=world.billing, outcome="upheld"
    )
    denied_case.refresh_from_db()
    text = words(text_of(APPEAL, denied_case))
    assert "Level of appeal Internal appeal (second level)" in text
    assert "The Internal appeal (first level), filed on" in text and "upheld the denial" in text


def test_appeal_letter_goes_to_the_address_on_the_denial(world, ready_case):
    InsurerContact.objects.create(
        practice=world.practice, insurer=ready_case.insurer, purpose="appeals",
        department="Appeals unit", address="PO Box 1 Old Town", fax="800-555-0122",
    )  # fmt: skip
    case = deny(ready_case, world.staff, appeal_address="Grievances, PO Box 9000, Denver CO")
    text = words(text_of(APPEAL, case))
    assert "Appeals unit" in text and "800-555-0122" in text
    assert "Grievances, PO Box 9000, Denver CO" in text
    assert "PO Box 1 Old Town" not in text


def test_appeal_letter_reads_a_fixed_number_of_queries(world, ready_case):
    case = deny(ready_case, world.staff, "in_network_available", "A provider is near.")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            context_for(APPEAL, case)
        return len(queries)

    few = count()
    for n in range(4):
        CaseAttachmentFactory(case=case, kind="other", title=f"Note {n}")
        RequestedServiceFactory(case=case, billing_code=BillingCodeFactory(code=f"9715{n + 4}"))
    NetworkSearchFactory.create_batch(4, case=case)
    assert count() == few


# ------------------------------------------------------------------------- when it may be asked for


def test_appeal_letter_is_rendered_by_the_worker_for_a_denied_case(
    world, api, denied_case, django_capture_on_commit_callbacks
):
    response = ask(api, world.staff, denied_case, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    pages = read_back(Document.objects.get(kind=APPEAL))
    assert DENIAL_WORDS in " ".join(pages)
    assert f"Page 1 of {len(pages)}" in pages[0]  # its own footer, as the other letters


def test_appeal_letter_refused_for_a_case_not_denied(
    world, api, web, ready_case, django_capture_on_commit_callbacks
):
    case_submit(case_id=ready_case.pk, actor=world.staff)
    response = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and response.json()["code"] == "not_denied"
    # The workspace's button: the same refusal, as a message, and nothing queued.
    page = web(world.staff).post(
        reverse("cases:document_create", args=[ready_case.pk]), {"kind": APPEAL}, follow=True
    )
    assert "not denied or appealed" in page.content.decode()
    assert not Document.objects.filter(kind=APPEAL).exists()
    assert APPEAL not in document_kinds_for(ready_case)


def test_appeal_letter_refused_for_a_denial_that_cannot_be_appealed(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    case = deny(ready_case, world.staff, "contract_refused", "We do not contract.")
    response = ask(api, world.staff, case, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and response.json()["code"] == "not_appealable"


def test_the_workspace_offers_the_appeal_letter_once_denied(world, web, denied_case):
    assert APPEAL in document_kinds_for(denied_case)
    page = web(world.staff).get(reverse("cases:detail", args=[denied_case.pk])).content.decode()
    assert "Generate the appeal letter" in page


def test_packet_of_an_appealed_case_starts_with_the_appeal_letter(
    world, api, denied_case, django_capture_on_commit_callbacks
):
    appeal_file(case_id=denied_case.pk, actor=world.billing, level="internal_1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.staff).post(
            f"/api/v1/cases/{denied_case.pk}/documents/",
            {"kind": "submission_packet"},
            format="json",
        )
    assert response.status_code == 202, response.content
    pages = read_back(Document.objects.get(kind="submission_packet"))
    cover = pages[0]
    assert "Appeal letter" in cover and "SCA request letter" in cover
    assert cover.index("Appeal letter") < cover.index("SCA request letter")
    assert "Internal appeal (first level)" in pages[1]  # the appeal letter comes first
    assert any("Request for a Single Case Agreement" in p for p in pages[2:])


# ----------------------------------------------------------------------------- the renewal sentence


@pytest.fixture
def renewal(world, ready_case):
    """A draft renewing ``ready_case``, with what the renewal records set directly."""
    ready_case.status, ready_case.submitted_at = "approved", timezone.now()
    ready_case.save()
    case = CaseFactory(
        practice=world.practice,
        insurer=ready_case.insurer,
        client=ready_case.client,
        provider=ready_case.provider,
        renewal_of=ready_case,
        prior_authorization_number="AUTH-4471",
    )
    return case


def test_request_letter_of_a_renewal_names_the_prior_authorization_and_units_used(
    renewal, aba_code
):
    RequestedServiceFactory(
        case=renewal, billing_code=aba_code, prior_units_used=300, prior_units_authorized=480
    )
    renewal.prior_sessions_used, renewal.prior_sessions_authorized = 60, 96
    renewal.save()
    CaseAttachmentFactory(case=renewal, kind="progress_report", title="Progress, quarter 3")
    text = words(text_of("request_letter", renewal))
    assert "This is a request to renew authorization AUTH-4471: 97153, 300 of 480 units used." in (
        text
    )
    assert "60 of 96 sessions used." in text
    assert "A progress report is attached." in text


def test_request_letter_of_a_renewal_leaves_out_what_it_does_not_know(renewal, aba_code):
    RequestedServiceFactory(case=renewal, billing_code=aba_code)
    CaseAttachmentFactory(
        case=renewal, kind="progress_report", title="Old", archived_at=timezone.now()
    )
    text = words(text_of("request_letter", renewal))
    assert "This is a request to renew authorization AUTH-4471." in text
    assert "units used" not in text and "sessions used" not in text
    assert "progress report is attached" not in text


def test_request_letter_of_a_first_request_says_nothing_of_renewal(ready_case):
    assert "renew" not in words(text_of("request_letter", ready_case))


# ------------------------------------------------------------------------- the practice's setting


def test_practice_parity_text_is_set_by_an_admin_and_empty_means_the_default(world, api):
    url = f"/api/v1/practices/{world.practice.pk}/"
    body = {"appeal_parity_text": "  Our paragraph.  "}
    assert api(world.billing).patch(url, body, format="json").status_code == 403
    response = api(world.admin).patch(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["appeal_parity_text"] == "Our paragraph."
    world.practice.refresh_from_db()
    assert world.practice.appeal_parity_text == "Our paragraph."
    too_long = {"appeal_parity_text": "x" * 4001}
    refused = api(world.admin).patch(url, too_long, format="json")
    assert refused.status_code == 400 and "appeal_parity_text" in refused.json()
    schema = api(world.admin).get("/api/schema/?format=json").json()
    field = schema["components"]["schemas"]["Practice"]["properties"]["appeal_parity_text"]
    assert "the shipped default" in field["description"]
