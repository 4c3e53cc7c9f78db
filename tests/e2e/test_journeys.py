"""The journeys of issue 6 in a real browser: staff files an SCA request from a new client to
submission and downloads the letter; billing negotiates under a non-negotiable policy; an
admin changes a rate policy and reads its history; another practice gets a 404. axe-core
checks every page on the way; screenshots for the README come from here."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from cases.models import Case, CaseStatus, InsurerContact
from cases.services.submissions import case_submit
from negotiations.models import Agreement
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import (
    BillingCodeFactory,
    ConsentFactory,
    PolicyRateFactory,
    PracticeRateFactory,
    ProviderFactory,
    RatePolicyFactory,
)

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def test_staff_files_a_request_from_a_new_client_and_downloads_the_letter(
    page, world, policy, tmp_path
):
    code = BillingCodeFactory(
        code="97153", short_description="Adaptive behavior treatment by protocol"
    )
    PracticeRateFactory(practice=world.practice, billing_code=code, usual_rate="18.00")
    ProviderFactory(practice=world.practice, first_name="Morgan", last_name="Reyes")
    login(page, "demo_staff")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()

    # 1. the client
    expect(page.get_by_role("heading", name="New SCA request")).to_be_visible()
    assert_accessible(page, "new request: client")
    screenshot(page, "request-1-client")
    new = page.locator("form", has=page.get_by_role("heading", name="A new client"))
    new.get_by_label("First name").fill("Rosa")
    new.get_by_label("Last name").fill("Delgado")
    new.get_by_label("Date of birth").fill("2019-05-02")
    new.get_by_label("Insurer").select_option(label=policy.insurer.name)
    new.get_by_label("Member id").fill("EVG7788")
    new.get_by_label("Diagnosis codes").fill("F84.0")
    new.get_by_role("button", name="Save client and continue").click()

    # 2. insurer, reason and dates (inline errors first: a period that ends before it starts)
    expect(page.get_by_role("heading", name="Insurer, reason and dates")).to_be_visible()
    assert "Delgado" not in page.url  # the client is addressed by id, never by name
    page.get_by_label("Treating provider").select_option(label="Morgan Reyes, BCBA")
    page.get_by_label("Planned treatment start").fill(_day(20))
    page.get_by_label("Agreement from").fill(_day(20))
    page.get_by_label("Agreement to").fill(_day(200))
    page.get_by_label("Sessions requested").fill("60")
    page.get_by_label("Clinical justification").fill("No in-network BCBA within 40 miles.")
    assert_accessible(page, "new request: details")
    page.get_by_role("button", name="Save and continue").click()

    # 3. services: the picker offers ABA codes; the rate is typed
    expect(page.get_by_role("heading", name="Add a billing code")).to_be_visible()
    assert_accessible(page, "new request: services")
    page.get_by_label("Billing code").select_option(
        label="97153 · Adaptive behavior treatment by protocol"
    )
    # htmx fetches the rate field, prefilled with the practice's usual rate.
    expect(page.get_by_label("Requested rate per unit ($)")).to_have_value("18.00")
    page.get_by_label("Units").fill("400")
    page.get_by_label("Requested rate per unit ($)").fill("18.50")
    page.get_by_role("button", name="Add code").click()
    expect(page.get_by_role("region", name="Codes requested")).to_contain_text("$18.50")
    screenshot(page, "request-3-services")
    page.get_by_role("button", name="Continue to the in-network search").click()

    # 4. three unsuccessful in-network attempts
    expect(page.get_by_role("heading", name="Record an attempt")).to_be_visible()
    assert_accessible(page, "new request: in-network search")
    for i in range(3):
        page.get_by_label("Provider name").fill(f"Lakeside Clinic {i}")
        page.get_by_label("Contacted on").fill(_day(-5))
        page.get_by_label("Method").select_option(label="Phone")
        page.get_by_label("Outcome").select_option(label="Not accepting new patients")
        page.get_by_role("button", name="Record attempt").click()
        expect(page.get_by_role("region", name="In-network attempts")).to_contain_text(
            f"Lakeside Clinic {i}"
        )
    expect(page.get_by_text("3 unsuccessful in-network attempts documented")).to_be_visible()
    page.get_by_role("button", name="Continue to consent").click()

    # 5. consent with the signed scan
    expect(page.get_by_role("heading", name="Record a signed consent")).to_be_visible()
    assert_accessible(page, "new request: consent")
    scan = tmp_path / "consent.pdf"
    scan.write_bytes(PDF)
    page.get_by_label("Signer name").fill("Ana Delgado")
    page.get_by_label("Relationship to the client").select_option(label="Parent")
    page.get_by_label("Signed on").fill(_day(-1))
    page.get_by_label("The signer acknowledges").check()
    page.get_by_label("Signed consent (PDF, PNG or JPEG)").set_input_files(str(scan))
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Ana Delgado (Parent)")).to_be_visible()
    page.get_by_role("button", name="Continue to attachments").click()

    # 6. attachments: none required by this insurer's protocol
    expect(page.get_by_role("heading", name="Upload an attachment")).to_be_visible()
    assert_accessible(page, "new request: attachments")
    page.get_by_role("button", name="Continue to review").click()

    # 7. review and submit
    expect(page.get_by_text("Ready to submit")).to_be_visible()
    assert_accessible(page, "new request: review")
    screenshot(page, "request-6-review")
    page.get_by_role("button", name=f"Submit to {policy.insurer.name}").click()

    # the workspace: submitted, then the letter
    expect(page.get_by_text("Submitted. The case now waits on the insurer.")).to_be_visible()
    case = Case.objects.get(client__last_name="Delgado")
    assert case.status == CaseStatus.SUBMITTED
    page.get_by_role("button", name="Generate the request letter").click()
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        download_link.click()
    pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Delgado" in text and policy.insurer.name in text
    assert_accessible(page, "case workspace (submitted)")


@pytest.fixture
def submitted_case_under_fixed_rates(world, aba_code):
    """A submitted case with an insurer that pays its highest network rate: no counters."""
    fixed = RatePolicyFactory(practice=world.practice, kind="highest_network_rate", percent=None)
    PolicyRateFactory(policy=fixed, billing_code=aba_code)
    from tests.factories import CaseFactory, NetworkSearchFactory, RequestedServiceFactory

    case = CaseFactory(practice=world.practice, insurer=fixed.insurer, created_by=world.staff)
    RequestedServiceFactory(case=case, billing_code=aba_code)
    NetworkSearchFactory.create_batch(3, case=case)
    ConsentFactory(case=case)
    case_submit(case_id=case.pk, actor=world.staff, submission_channel="fax")
    return case


def test_billing_records_an_offer_cannot_counter_a_fixed_policy_and_accepts(
    page, world, submitted_case_under_fixed_rates
):
    case = submitted_case_under_fixed_rates
    login(page, "demo_billing")
    page.goto(f"/cases/{case.pk}/")
    panel = page.locator("#negotiation")
    banner = panel.locator("#not-negotiable")
    expect(banner).to_contain_text("does not negotiate rates")

    panel.get_by_label("97153 rate offered ($)").fill("14.75")
    panel.get_by_role("button", name="Record offer").click()
    expect(page.get_by_text("The insurer's offer is recorded.")).to_be_visible()
    expect(panel.get_by_label("Offers in time order")).to_contain_text("$14.75")

    # Under this policy there is no counter-offer: only accept or decline.
    expect(panel.get_by_text("Send a counter-offer")).to_have_count(0)
    expect(panel.get_by_text("Accept the insurer's offer", exact=True)).to_be_visible()
    expect(panel.get_by_text("Decline the insurer's terms", exact=True)).to_be_visible()
    assert_accessible(page, "case workspace (in negotiation)")
    screenshot(page, "case-workspace-negotiation")

    panel.get_by_label("Authorization number").fill("AUTH-2026-77")
    panel.get_by_role("button", name="Accept offer").click()
    expect(page.get_by_text("Offer accepted: the agreement is recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Agreement AUTH-2026-77")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("Approved")
    assert Agreement.objects.get(case=case).lines.get().rate == 14.75


def test_admin_changes_a_rate_policy_and_sees_it_in_the_history(page, world, policy, aba_code):
    # For the screenshot: a rate, and the practice's own SCA fax and email ("yours").
    PolicyRateFactory(policy=policy, billing_code=aba_code)
    InsurerContact.objects.create(
        practice=world.practice,
        insurer=policy.insurer,
        fax="518-555-0199",
        email="sca-unit@evergreen.example",
    )
    started = policy.effective_from
    login(page, "demo_admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insurers").click()
    assert_accessible(page, "insurer list")
    page.get_by_role("link", name=policy.insurer.name).click()
    expect(page.get_by_role("heading", name=policy.insurer.name, level=1)).to_be_visible()
    assert_accessible(page, "insurer detail")
    screenshot(page, "insurer")
    # The policy in force changes from a date on, with a reason: its period ends the day
    # before and a new one starts with the new terms.
    page.get_by_role("link", name="Change policy", exact=True).click()
    expect(page.get_by_role("heading", name="Change the policy in force")).to_be_visible()
    page.get_by_label("The change takes effect on").fill(_day(0))
    page.get_by_label("Reason for the change").fill("Five attempts asked for by phone")
    attempts = page.get_by_label("In-network attempts required")
    expect(attempts).to_have_value("3")
    attempts.fill("5")
    assert_accessible(page, "rate policy form")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_role("status")).to_contain_text(f"Rate policy from {_day(0)} saved.")
    in_force = page.get_by_role("region", name="Your policy in force today: Commercial")
    expect(
        in_force.locator("xpath=.//dt[.='Network attempts needed']/following-sibling::dd[1]")
    ).to_have_text("5")
    # The old policy's history: its end, by whom and why.
    page.get_by_role(
        "link", name=f"History of policy from {started:%b} {started.day}, {started.year}"
    ).click()
    history = page.get_by_role("region", name="Change history of the policy and its rates")
    ended = history.get_by_role("row", name=re.compile("Policy changed"))
    expect(ended).to_contain_text("demo_admin")
    expect(ended.locator("del")).to_have_text("—")
    expect(ended.locator("ins")).to_have_text(_day(-1))
    expect(ended).to_contain_text("Ended: Five attempts asked for by phone")
    assert_accessible(page, "policy history")


def test_other_practice_cannot_reach_the_case_by_url(page, world, ready_case):
    login(page, "other_staff")
    allow_browser_errors(page, "404")
    response = page.goto(f"/cases/{ready_case.pk}/")
    assert response.status == 404
    expect(page.get_by_text(ready_case.client.last_name)).to_have_count(0)
    response = page.goto(f"/cases/{ready_case.pk}/request/review/")
    assert response.status == 404


def test_case_list_searches_without_putting_names_in_the_url(page, world, ready_case):
    login(page, "demo_staff")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("region", name="Cases")).to_contain_text(f"SCA #{ready_case.pk}")
    assert_accessible(page, "case list")
    screenshot(page, "case-list")
    page.get_by_label("Search").fill(ready_case.client.last_name[:5])
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("region", name="Cases")).to_contain_text(f"SCA #{ready_case.pk}")
    assert ready_case.client.last_name[:5] not in page.url
    # Changing a filter updates the results in place (htmx), without a new page.
    page.get_by_label("Status").select_option(label="Submitted")
    expect(page.get_by_text("No cases match these filters.")).to_be_visible()
    page.get_by_label("Status").select_option(label="Draft")
    expect(page.get_by_role("region", name="Cases")).to_contain_text(f"SCA #{ready_case.pk}")
    page.get_by_label("Status").select_option(label="Any status")
    page.get_by_label("Search").fill("zzzz-nobody")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No cases match these filters.")).to_be_visible()


def test_billing_dashboard_shows_the_board_and_the_charts(page, world, ready_case):
    from tests.factories import AgreementFactory, CaseFactory

    now = timezone.now()
    for status in ["submitted", "submitted", "in_negotiation", "denied"]:
        CaseFactory(
            practice=world.practice,
            status=status,
            submitted_at=now - dt.timedelta(days=12),
            decided_at=now if status == "denied" else None,
            follow_up_on=timezone.localdate(),
        )
    AgreementFactory(
        case=CaseFactory(
            practice=world.practice,
            status="approved",
            submitted_at=now - dt.timedelta(days=30),
            decided_at=now - dt.timedelta(days=2),
        ),
        end_date=timezone.localdate() + dt.timedelta(days=20),
    )
    login(page, "demo_billing")
    expect(page.get_by_role("heading", name="Negotiation board")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Cases by status"))).to_be_visible()
    expect(page.get_by_text("12 days waiting").first).to_be_visible()
    expect(page.get_by_role("heading", name="Agreements ending within 30 days")).to_be_visible()
    assert_accessible(page, "dashboard (billing)")
    screenshot(page, "dashboard-billing")


@pytest.mark.parametrize("path", ["/cases/", "/cases/{pk}/", "/cases/{pk}/request/review/"])
def test_pages_fit_a_phone_screen(mobile_page, world, ready_case, path):
    page = mobile_page
    login(page, "demo_staff")
    page.goto(path.format(pk=ready_case.pk))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Wide tables scroll inside their own region; the page itself never scrolls sideways.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width}px wide on a 390px screen"
    assert_accessible(page, f"{path} (phone)")
