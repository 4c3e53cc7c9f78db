"""What the request letter and the consent form say (issue 14, "Better documents"): each
document is rendered as the worker renders it and its text read back with pypdf."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from billing_codes.diagnoses import diagnosis_label
from cases.models import CaseAttachment
from cases.selectors.documents import context_for, template_for
from cases.templatetags.money import money, quantity
from core.pdf import render_pdf_document
from tests.factories import (
    BillingCodeFactory,
    ConsentFactory,
    NetworkSearchFactory,
    RequestedServiceFactory,
)


def pages_of(kind: str, case) -> list[str]:
    rendered = render_pdf_document(template_for(kind), context_for(kind, case))
    reader = PdfReader(io.BytesIO(rendered.content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text_of(kind: str, case) -> str:
    return " ".join(pages_of(kind, case))


def twelve_weeks(case, start_in_days: int = 30):
    """A requested period of exactly 84 days (12 weeks, both days included)."""
    case.requested_start = timezone.localdate() + dt.timedelta(days=start_in_days)
    case.requested_end = case.requested_start + dt.timedelta(days=83)
    case.save()
    return case


def attach(case, kind: str, title: str, archived: bool = False) -> CaseAttachment:
    return CaseAttachment.objects.create(
        case=case,
        kind=kind,
        title=title,
        file=ContentFile(b"%PDF-1.4 stand-in", name="upload.pdf"),
        file_type="pdf",
        page_count=1,
        size_bytes=17,
        sha256="0" * 64,
        archived_at=timezone.now() if archived else None,
    )


@pytest.fixture
def weekly_case(ready_case):
    """ready_case asking 40 units of 97153 a week at $20.60 for 12 weeks: 480 units, $9,888."""
    twelve_weeks(ready_case)
    service = ready_case.services.get()
    service.units, service.unit_period, service.requested_rate = 40, "per_week", Decimal("20.60")
    service.save()
    return ready_case


# ----------------------------------------------------------------------------- request letter


def test_every_page_after_the_first_names_the_client_and_member_id(weekly_case):
    client = weekly_case.client
    NetworkSearchFactory.create_batch(
        30, case=weekly_case, notes="Called the intake line twice; no call back."
    )
    pages = pages_of("request_letter", weekly_case)
    assert len(pages) >= 2
    running_head = f"Member ID {client.member_id} · SCA-{weekly_case.pk}"
    assert running_head not in pages[0]  # the first page has the letterhead instead
    for page in pages[1:]:
        assert f"{client.first_name} {client.last_name}" in page
        assert f"Member ID {client.member_id}" in page
        assert f"SCA-{weekly_case.pk}" in page


def test_the_diagnosis_is_written_with_its_description(weekly_case):
    client = weekly_case.client
    client.diagnosis_codes = ["F84.0", "F88"]
    client.save()
    text = text_of("request_letter", weekly_case)
    assert "F84.0 Autistic disorder" in text
    assert "F88 Other disorders of psychological development" in text


def test_a_diagnosis_missing_from_the_table_is_the_code_alone():
    assert diagnosis_label("F84.5") == "F84.5 Asperger's syndrome"
    assert diagnosis_label("f84.9") == "F84.9 Pervasive developmental disorder, unspecified"
    assert diagnosis_label("F80.2") == "F80.2"


def test_each_code_shows_hours_per_week_units_over_the_period_and_its_amount(weekly_case):
    family = BillingCodeFactory(
        code="97156", short_description="Family adaptive behavior treatment guidance"
    )
    RequestedServiceFactory(
        case=weekly_case,
        billing_code=family,
        units=24,
        unit_period="total",
        requested_rate=Decimal("30.00"),
    )
    text = text_of("request_letter", weekly_case)
    # 97153: 40 units a week of 15 minutes = 10 hours a week; 480 units × $20.60.
    assert "97153 Adaptive behavior treatment by protocol" in text
    assert "40 per week 10 480" in text
    assert "$20.60 $9,888.00" in text
    # 97156: 24 units over 12 weeks = 0.5 hours a week; 24 × $30.00.
    assert "24 total 0.5 24" in text
    assert "$30.00 $720.00" in text
    assert "Total at the requested rates $10,608.00" in text


def test_a_code_without_unit_minutes_but_known_as_timed_gets_hours(weekly_case):
    code = weekly_case.services.get().billing_code
    code.unit_minutes = None
    code.save()
    assert "40 per week 10 480" in text_of("request_letter", weekly_case)


def test_the_subscriber_is_shown_when_not_the_client(weekly_case):
    client = weekly_case.client
    client.subscriber_name = f"{client.first_name} {client.last_name}"
    client.save()
    assert "Subscriber (policyholder)" not in text_of("request_letter", weekly_case)
    client.subscriber_name = "Jordan Martinez"
    client.save()
    assert "Subscriber (policyholder) Jordan Martinez" in text_of("request_letter", weekly_case)


def test_search_attempts_carry_their_notes(weekly_case):
    NetworkSearchFactory(
        case=weekly_case,
        provider_name="Lakeside Autism Center",
        outcome="waitlist",
        wait_weeks=26,
        notes="Spoke with the intake coordinator at 555-0147; earliest opening next spring.",
    )
    text = text_of("request_letter", weekly_case)
    assert "Lakeside Autism Center" in text and "26 weeks wait" in text
    assert "intake coordinator at 555-0147" in text


def test_search_attempts_name_who_was_reached_and_their_phone(world, api, weekly_case):
    body = {
        "provider_name": "Harbor ABA",
        "contact_name": "Dana Ortiz, intake",
        "contact_phone": "518-555-0147",
        "contacted_on": timezone.localdate().isoformat(),
        "method": "phone",
        "outcome": "not_accepting",
    }
    url = f"/api/v1/cases/{weekly_case.pk}/network-searches/"
    response = api(world.staff).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    text = text_of("request_letter", weekly_case)
    assert "Spoke with Dana Ortiz, intake, 518-555-0147" in text
    refused = api(world.staff).post(url, {**body, "contact_phone": "call me"}, format="json")
    assert refused.status_code == 400 and "contact_phone" in refused.json()


def test_the_insurer_reference_appears_once_known(weekly_case):
    assert "Your reference" not in text_of("request_letter", weekly_case)
    weekly_case.insurer_reference = "EVG-SCA-88123"
    weekly_case.save()
    assert "Your reference EVG-SCA-88123" in text_of("request_letter", weekly_case)


def test_enclosures_list_current_attachments_and_the_consent_when_it_goes(weekly_case):
    attach(weekly_case, "treatment_plan", "Treatment plan, spring")
    attach(weekly_case, "assessment", "Initial assessment")
    attach(weekly_case, "referral", "Old referral", archived=True)
    text = text_of("request_letter", weekly_case)
    # (pypdf reads a list's numbers after the page's text)
    assert "Enclosures Assessment: Initial assessment Treatment plan: Treatment plan" in text
    assert "Old referral" not in text and "Client consent form" not in text
    weekly_case.initiated_by = "practice"
    weekly_case.save()
    text = text_of("request_letter", weekly_case)
    assert "Enclosures Client consent form Assessment: Initial assessment" in text


def test_a_letter_without_enclosures_has_no_enclosures_heading(weekly_case):
    assert "Enclosures" not in text_of("request_letter", weekly_case)


def test_care_under_way_says_since_when_and_what_remains(weekly_case):
    today = timezone.localdate()
    weekly_case.reason = "continuity_of_care"
    weekly_case.treatment_started_on = today - dt.timedelta(days=200)
    weekly_case.coverage_change_on = today - dt.timedelta(days=20)
    weekly_case.sessions_remaining = 12
    weekly_case.save()
    service = weekly_case.services.get()
    service.units_remaining = 300
    service.save()
    text = text_of("request_letter", weekly_case)
    since = (today - dt.timedelta(days=200)).strftime("%B %-d, %Y")
    changed = (today - dt.timedelta(days=20)).strftime("%B %-d, %Y")
    assert f"in treatment since {since}, and 12 sessions remain" in text
    assert f"network status changed on {changed}" in text
    assert "Units remaining" in text and "480 300" in text
    assert "Treatment is planned to start" not in text


def test_new_treatment_says_when_it_is_planned_to_start(weekly_case):
    text = text_of("request_letter", weekly_case)
    assert "Treatment is planned to start on" in text and "in treatment since" not in text


@pytest.mark.parametrize(
    ("kind", "percent", "schedule", "says"),
    [
        ("highest_network_rate", None, "", "Rate per the insurer's highest in-network rate"),
        ("percent_of_reference", Decimal("85.00"), "medicare", "Rate per 85% of Medicare"),
        ("negotiable", None, "", "Rate to be agreed"),
    ],
)
def test_a_blank_rate_says_who_sets_it_and_never_a_dash(
    weekly_case, policy, kind, percent, schedule, says
):
    policy.kind, policy.percent, policy.reference_schedule = kind, percent, schedule
    policy.save()
    service = weekly_case.services.get()
    service.requested_rate = None
    service.save()
    text = text_of("request_letter", weekly_case)
    assert says in text
    assert "—" not in text
    assert "leaves out 1 code whose rate is not requested here" in text


def test_the_letter_reads_a_fixed_number_of_queries(weekly_case):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            context_for("request_letter", weekly_case)
        return len(queries)

    few = count()
    for n in range(5):
        attach(weekly_case, "other", f"Note {n}")
        RequestedServiceFactory(
            case=weekly_case, billing_code=BillingCodeFactory(code=f"9715{n + 4}")
        )
    NetworkSearchFactory.create_batch(5, case=weekly_case)
    assert count() == few


# ----------------------------------------------------------------------------- consent form


def test_consent_form_spells_out_the_codes_period_and_estimate(weekly_case):
    ConsentFactory(case=weekly_case, estimated_patient_cost=Decimal("1325.50"))
    text = text_of("consent_form", weekly_case)
    start = weekly_case.requested_start.strftime("%m/%d/%Y")
    end = weekly_case.requested_end.strftime("%m/%d/%Y")
    assert f"Requested period {start} to {end}" in text
    assert "97153 Adaptive behavior treatment by protocol" in text
    assert "about 10 hours per week" in text
    assert "$9,888.00" in text
    assert "The charges above are an estimate, not a bill: they cover 97153" in text
    assert "estimate of your possible cost for these services is $1,325.50" in text


def test_consent_form_says_who_initiated_the_request(weekly_case):
    assert "Request initiated by the client or family" in text_of("consent_form", weekly_case)
    weekly_case.initiated_by = "practice"
    weekly_case.save()
    assert "Request initiated by the practice" in text_of("consent_form", weekly_case)


def test_consent_form_states_the_right_to_revoke_and_has_a_witness_line(weekly_case):
    text = text_of("consent_form", weekly_case)
    assert "I may revoke this consent" in text
    assert "at any time by telling" in text and "in writing" in text
    assert "not retroactive" in text
    assert "Witness for the practice Printed name: Signature: Date:" in text


# ----------------------------------------------------------------------------- money


def test_money_has_thousands_separators_and_cents():
    assert money(Decimal("9888")) == "$9,888.00"
    assert money(Decimal("1234567.5")) == "$1,234,567.50"
    assert money("17") == "$17.00"
    assert money(Decimal("-5.005")) == "-$5.01"
    assert money(None) == "" and money("", "n/a") == "n/a" and money("abc") == ""
    assert quantity(Decimal("1920.0")) == "1,920" and quantity(Decimal("10.46")) == "10.5"
    assert quantity(None) == ""


def test_inside_a_packet_a_document_leaves_page_numbers_to_the_packet(weekly_case):
    NetworkSearchFactory.create_batch(30, case=weekly_case)
    context = {**context_for("request_letter", weekly_case), "in_packet": True}
    rendered = render_pdf_document(template_for("request_letter"), context)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(rendered.content)).pages]
    assert len(pages) >= 2 and not any("Page 1 of" in page for page in pages)
    assert weekly_case.client.member_id in pages[1]  # the running head stays


def test_a_backward_period_prints_no_sums_and_does_not_fail(weekly_case):
    weekly_case.requested_end = weekly_case.requested_start - dt.timedelta(days=40)
    weekly_case.save()
    text = text_of("request_letter", weekly_case)
    assert "-$" not in text and "$-" not in text
