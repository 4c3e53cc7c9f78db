"""The journeys of issue 13 in a real browser: a practice's own rate policies and SCA contacts.

An administrator changes the policy in force from a date on, with a reason (the old period
ends the day before; the history names the author and the reason); a bad date is refused next
to its field with everything typed kept. The practice's own SCA contact overrides the shared
directory's, field by field ("yours"). A new policy for another line of business starts as a
copy of that line's policy in force, and an overlapping period is refused. Staff and billing
read the page without edit links, and the forms answer them 403. axe-core checks every page.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import InsurerContact, RatePolicy
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login
from tests.factories import PolicyRateFactory, RatePolicyFactory

pytestmark = pytest.mark.e2e

# A refused form answers 400 with the errors on the page; Chromium logs that status.
REFUSED = "status of 400 (Bad Request)"


def _date(offset: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=offset)


def _shown(day: dt.date) -> str:
    """A date as the pages print it (Django's "M j, Y")."""
    return f"{day:%b} {day.day}, {day.year}"


def _period(start: dt.date, end: dt.date | None) -> str:
    return f"{_shown(start)} – {_shown(end) if end else 'open-ended'}"


def fact(container, term: str):
    """The <dd> that follows the <dt> ``term`` in a facts list."""
    return container.locator(f"xpath=.//dt[normalize-space()='{term}']/following-sibling::dd[1]")


def field_error(page, html_name: str):
    """The error shown under a form field (templates/includes/field.html)."""
    return page.locator(f"#field-{html_name} .error")


def policy_row(page, insurer, start: dt.date, end: dt.date | None):
    table = page.get_by_role("region", name=f"All rate policies of {insurer.name}")
    return table.locator(
        "tr", has=page.get_by_role("rowheader", name=_period(start, end), exact=True)
    )


def open_insurer(page, insurer) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insurers").click()
    page.get_by_role("link", name=insurer.name, exact=True).click()
    expect(page.get_by_role("heading", name=insurer.name, level=1)).to_be_visible()


@pytest.fixture
def rated_policy(policy, aba_code):
    """Bright Path's commercial policy (negotiable, from a year ago, open-ended) with a rate."""
    PolicyRateFactory(
        policy=policy,
        billing_code=aba_code,
        highest_network_rate=Decimal("15.00"),
        reference_rate=Decimal("14.00"),
    )
    return policy


# ----------------------------------------------------------------------------- 1


def test_admin_changes_the_policy_in_force_from_a_date_with_a_reason(page, world, rated_policy):
    policy, insurer = rated_policy, rated_policy.insurer
    world.admin.first_name, world.admin.last_name = "Dana", "Whitfield"
    world.admin.save(update_fields=["first_name", "last_name"])
    today, started = _date(0), rated_policy.effective_from
    reason = "New rates confirmed by J. Rivera, provider relations"

    login(page, "demo_admin")
    open_insurer(page, insurer)
    in_force = page.get_by_role("region", name="Your policy in force today: Commercial")
    expect(fact(in_force, "Payment")).to_have_text("Negotiable (offers and counter-offers)")
    assert_accessible(page, "insurer detail")

    in_force.get_by_role("link", name="Change policy", exact=True).click()
    expect(page.get_by_role("heading", name="Change the policy in force", level=1)).to_be_visible()
    when = page.get_by_role("region", name="When and why")
    expect(when.get_by_label("The change takes effect on")).to_be_visible()
    # The form starts from the terms in force.
    expect(page.get_by_label("How the insurer pays")).to_have_value("negotiable")
    expect(page.get_by_label("In-network attempts required")).to_have_value("3")
    expect(page.get_by_label("Row 1: Code", exact=True)).to_have_value("97153")
    assert_accessible(page, "change the policy in force")

    when.get_by_label("The change takes effect on").fill(today.isoformat())
    when.get_by_label("Reason for the change").fill(reason)
    page.get_by_label("How the insurer pays").select_option("highest_network_rate")
    page.get_by_label("In-network attempts required").fill("4")
    page.get_by_label("Confirmed with (name at the insurer)").fill("J. Rivera")
    page.get_by_label("Row 1: Highest network rate", exact=True).fill("16.50")
    page.get_by_role("button", name="Save the change").click()

    # The insurer page: the new terms are in force today.
    expect(page.get_by_role("status")).to_contain_text(f"Rate policy from {today.isoformat()}")
    expect(page.get_by_role("note")).to_contain_text("Not negotiable.")
    in_force = page.get_by_role("region", name="Your policy in force today: Commercial")
    expect(fact(in_force, "Period")).to_have_text(_period(today, None))
    expect(fact(in_force, "Payment")).to_have_text("Highest in-network rate (accept or decline)")
    expect(fact(in_force, "Network attempts needed")).to_have_text("4")
    expect(fact(in_force, "Confirmed")).to_contain_text("J. Rivera")
    rates = page.get_by_role("region", name="Rates under the policy in force").first
    expect(rates.get_by_role("row", name=re.compile("97153"))).to_contain_text("$16.50")
    # The policies table: the old period ended the day before, the new one runs on.
    old_row = policy_row(page, insurer, started, today - dt.timedelta(days=1))
    expect(old_row).to_contain_text("Past")
    expect(old_row).to_contain_text("Negotiable")
    new_row = policy_row(page, insurer, today, None)
    expect(new_row).to_contain_text("In force")
    assert_accessible(page, "insurer detail after the change")

    # The new policy's history: who (full name) and why.
    in_force.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", name="Rate policy history", level=1)).to_be_visible()
    history = page.get_by_role("region", name="Change history of the policy and its rates")
    created = history.get_by_role("row", name=re.compile("Policy created"))
    expect(created).to_contain_text("Dana Whitfield")
    expect(created).to_contain_text(reason)
    expect(history).not_to_contain_text("demo_admin")
    assert_accessible(page, "history of the new policy")

    # The old policy's history: its end date set the same way, for the same reason.
    page.go_back()
    page.get_by_role("link", name=f"History of policy from {_shown(started)}").click()
    history = page.get_by_role("region", name="Change history of the policy and its rates")
    ended = history.get_by_role("row", name=re.compile("Policy changed"))
    expect(ended).to_contain_text("Dana Whitfield")
    expect(ended).to_contain_text(f"Ended: {reason}")
    expect(ended.locator("ins")).to_have_text((today - dt.timedelta(days=1)).isoformat())
    assert_accessible(page, "history of the old policy")

    old = RatePolicy.objects.get(pk=policy.pk)
    assert old.effective_to == today - dt.timedelta(days=1)
    assert old.kind == "negotiable"  # the old period keeps its terms


# ----------------------------------------------------------------------------- 2


def test_change_on_or_before_the_start_is_refused_and_keeps_what_was_typed(
    page, world, rated_policy
):
    started = rated_policy.effective_from
    reason = "Rates renegotiated in the annual review"
    login(page, "demo_admin")
    allow_browser_errors(page, REFUSED)
    page.goto(f"/policies/{rated_policy.pk}/edit/")
    expect(page.get_by_role("heading", name="Change the policy in force", level=1)).to_be_visible()

    for day in (started, started - dt.timedelta(days=30)):
        page.get_by_label("The change takes effect on").fill(day.isoformat())
        page.get_by_label("Reason for the change").fill(reason)
        page.get_by_label("In-network attempts required").fill("6")
        page.get_by_label("Call reference or document").fill("REF-2291")
        page.get_by_label("Row 1: Reference rate", exact=True).fill("14.75")
        page.get_by_role("button", name="Save the change").click()

        # Refused next to the field, described by it; nothing typed is lost.
        error = field_error(page, "change-effective_from")
        expect(error).to_have_text(
            f"The change must take effect after the policy starts ({started.isoformat()}); "
            "edit the policy to correct it."
        )
        expect(error).to_be_visible()
        date_input = page.get_by_label("The change takes effect on")
        expect(date_input).to_have_attribute("aria-invalid", "true")
        expect(date_input).to_have_accessible_description(
            re.compile("must take effect after the policy starts")
        )
        expect(date_input).to_have_value(day.isoformat())
        expect(page.get_by_label("Reason for the change")).to_have_value(reason)
        expect(page.get_by_label("In-network attempts required")).to_have_value("6")
        expect(page.get_by_label("Call reference or document")).to_have_value("REF-2291")
        expect(page.get_by_label("Row 1: Code", exact=True)).to_have_value("97153")
        expect(page.get_by_label("Row 1: Reference rate", exact=True)).to_have_value("14.75")
        assert_accessible(page, "change the policy in force, refused")

    # And no reason at all is refused on the reason field.
    page.get_by_label("The change takes effect on").fill(_date(0).isoformat())
    page.get_by_label("Reason for the change").fill("")
    page.get_by_role("button", name="Save the change").click()
    expect(field_error(page, "change-reason")).to_be_visible()
    expect(page.get_by_label("The change takes effect on")).to_have_value(_date(0).isoformat())
    expect(page.get_by_label("In-network attempts required")).to_have_value("6")
    assert_accessible(page, "change the policy in force, no reason")

    rated_policy.refresh_from_db()
    assert rated_policy.effective_to is None
    assert rated_policy.min_network_attempts == 3
    assert RatePolicy.objects.filter(insurer=rated_policy.insurer).count() == 1


# ----------------------------------------------------------------------------- 3


def test_admin_sets_the_practice_own_sca_contact(page, world, policy):
    insurer = policy.insurer
    insurer.sca_phone = "800-555-0190"
    insurer.save(update_fields=["sca_phone"])
    login(page, "demo_admin")
    open_insurer(page, insurer)
    contact = page.get_by_role("region", name="Where to send SCA requests")
    expect(fact(contact, "Fax")).to_have_text("800-555-0102")  # the directory's
    expect(contact.get_by_text("yours")).to_have_count(0)
    contact.get_by_role("link", name="Edit your contact").click()
    expect(page).to_have_url(re.compile(rf"/insurers/{insurer.pk}/contact/sca_request/$"))
    expect(page.get_by_role("heading", name="Your contact: SCA requests")).to_be_visible()
    assert_accessible(page, "contact form")
    allow_browser_errors(page, REFUSED)

    # Refused: a fax without 10 digits and an email that is not one, each on its field.
    page.get_by_label("Department").fill("SCA Unit, Optum Behavioral")
    page.get_by_label("Fax").fill("518-555-01")
    page.get_by_label("Email").fill("sca-unit at evergreen")
    page.get_by_label("Notes").fill("Ask for the clinical reviewer on duty.")
    page.get_by_role("button", name="Save contact").click()
    expect(field_error(page, "fax")).to_have_text("A US phone or fax number has 10 digits.")
    expect(field_error(page, "email")).to_have_text("Enter a valid email address.")
    expect(page.get_by_label("Fax")).to_have_accessible_description(re.compile("10 digits"))
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Department")).to_have_value("SCA Unit, Optum Behavioral")
    expect(page.get_by_label("Notes")).to_have_value("Ask for the clinical reviewer on duty.")
    expect(page.get_by_label("Fax")).to_have_value("518-555-01")
    expect(page.get_by_label("Email")).to_have_value("sca-unit at evergreen")
    assert_accessible(page, "contact form, refused")
    assert not InsurerContact.objects.exists()

    page.get_by_label("Fax").fill("518-555-0199")
    page.get_by_label("Email").fill("sca@evergreen.example")
    page.get_by_role("button", name="Save contact").click()

    expect(page.get_by_role("status")).to_contain_text(f"Your {insurer.name} contact is saved.")
    contact = page.get_by_role("region", name="Where to send SCA requests")
    expect(fact(contact, "Fax")).to_have_text("518-555-0199 yours")
    expect(fact(contact, "Email")).to_have_text("sca@evergreen.example yours")
    expect(fact(contact, "Email").get_by_role("link")).to_have_attribute(
        "href", "mailto:sca@evergreen.example"
    )
    expect(fact(contact, "Department")).to_contain_text("SCA Unit, Optum Behavioral")
    expect(fact(contact, "Department")).to_contain_text("yours")
    # A field the practice left blank keeps the directory's value, without the badge.
    expect(fact(contact, "Phone")).to_have_text("800-555-0190")
    # The directory entry and the appeals contact are untouched.
    directory = page.get_by_role("region", name="Directory entry")
    expect(fact(directory, "SCA fax")).to_have_text("800-555-0102")
    appeals = page.get_by_role("region", name="Where to send appeals")
    expect(fact(appeals, "Fax")).to_have_text("800-555-0102")
    expect(appeals.get_by_text("yours")).to_have_count(0)
    assert_accessible(page, "insurer detail with the practice's contact")

    # The form opens again with what was saved.
    contact.get_by_role("link", name="Edit your contact").click()
    expect(page.get_by_label("Fax")).to_have_value("518-555-0199")
    expect(page.get_by_label("Email")).to_have_value("sca@evergreen.example")
    assert_accessible(page, "contact form, saved")
    saved = InsurerContact.objects.get(practice=world.practice, insurer=insurer)
    assert (saved.purpose, saved.fax, saved.phone) == ("sca_request", "518-555-0199", "")


# ----------------------------------------------------------------------------- 4


def test_new_policy_for_another_line_starts_prefilled_and_refuses_an_overlap(
    page, world, policy, aba_code
):
    insurer = policy.insurer
    medicaid_ends = _date(30)
    medicaid = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        line_of_business="medicaid",
        effective_from=_date(-200),
        effective_to=medicaid_ends,
        kind="highest_network_rate",
        min_network_attempts=2,
        submission_channel="portal",
    )
    PolicyRateFactory(policy=medicaid, billing_code=aba_code, highest_network_rate=Decimal("12.40"))
    login(page, "demo_admin")
    open_insurer(page, insurer)
    page.get_by_role("navigation", name="Line of business").get_by_role(
        "link", name=re.compile("^Medicaid managed care")
    ).click()
    expect(page).to_have_url(re.compile(r"\?line=medicaid$"))
    in_force = page.get_by_role("region", name="Your policy in force today: Medicaid managed care")
    expect(fact(in_force, "Network attempts needed")).to_have_text("2")
    assert_accessible(page, "insurer detail, Medicaid tab")

    page.get_by_role("link", name="New rate policy").click()
    expect(page.get_by_role("heading", name="New rate policy", level=1)).to_be_visible()
    # A copy of the Medicaid policy in force (not of the commercial one), from today.
    expect(page.get_by_label("Line of business")).to_have_value("medicaid")
    expect(page.get_by_label("Effective from")).to_have_value(_date(0).isoformat())
    expect(page.get_by_label("How the insurer pays")).to_have_value("highest_network_rate")
    expect(page.get_by_label("In-network attempts required")).to_have_value("2")
    expect(page.get_by_label("Submit requests by")).to_have_value("portal")
    expect(page.get_by_label("Row 1: Code", exact=True)).to_have_value("97153")
    expect(page.get_by_label("Row 1: Highest network rate", exact=True)).to_have_value("12.40")
    assert_accessible(page, "new rate policy, Medicaid")

    # From today it overlaps the Medicaid policy in force: refused on the date, typed kept.
    allow_browser_errors(page, REFUSED)
    page.get_by_label("In-network attempts required").fill("3")
    page.get_by_label("Confirmed with (name at the insurer)").fill("K. Osei")
    page.get_by_label("Row 1: Highest network rate", exact=True).fill("13.10")
    page.get_by_role("button", name="Add policy").click()
    error = field_error(page, "effective_from")
    expect(error).to_contain_text("This period overlaps the practice's policy")
    expect(error).to_contain_text(f"from {medicaid.effective_from.isoformat()}")
    expect(page.get_by_label("Effective from")).to_have_accessible_description(
        re.compile("overlaps")
    )
    expect(page.get_by_label("Line of business")).to_have_value("medicaid")
    expect(page.get_by_label("In-network attempts required")).to_have_value("3")
    expect(page.get_by_label("Confirmed with (name at the insurer)")).to_have_value("K. Osei")
    expect(page.get_by_label("Row 1: Highest network rate", exact=True)).to_have_value("13.10")
    assert_accessible(page, "new rate policy, overlap refused")
    assert RatePolicy.objects.filter(line_of_business="medicaid").count() == 1

    # From the day after the Medicaid policy ends, it is added as a future policy.
    starts = medicaid_ends + dt.timedelta(days=1)
    page.get_by_label("Effective from").fill(starts.isoformat())
    page.get_by_role("button", name="Add policy").click()
    expect(page.get_by_role("status")).to_contain_text(f"Rate policy from {starts.isoformat()}")
    expect(page).to_have_url(re.compile(r"\?line=medicaid$"))
    expect(policy_row(page, insurer, starts, None)).to_contain_text("Future")
    expect(policy_row(page, insurer, starts, None)).to_contain_text("Medicaid managed care")
    expect(policy_row(page, insurer, medicaid.effective_from, medicaid_ends)).to_contain_text(
        "In force"
    )
    assert_accessible(page, "insurer detail, Medicaid policy added")
    added = RatePolicy.objects.get(line_of_business="medicaid", effective_from=starts)
    assert (added.practice_id, added.min_network_attempts, added.confirmed_with) == (
        world.practice.pk,
        3,
        "K. Osei",
    )
    assert added.rates.get().highest_network_rate == Decimal("13.10")


# ----------------------------------------------------------------------------- 5


@pytest.mark.parametrize("username", ["demo_staff", "demo_billing"])
def test_staff_and_billing_read_the_insurer_without_edit_links(page, world, rated_policy, username):
    insurer = rated_policy.insurer
    login(page, username)
    open_insurer(page, insurer)
    in_force = page.get_by_role("region", name="Your policy in force today: Commercial")
    expect(fact(in_force, "Payment")).to_have_text("Negotiable (offers and counter-offers)")
    rates = page.get_by_role("region", name="Rates under the policy in force").first
    expect(rates).to_contain_text("97153")
    main = page.get_by_role("main")
    for name in (
        "New rate policy",
        "Change policy",
        "History",
        "Edit your contact",
        "Edit your appeals contact",
        "Edit directory entry",
    ):
        expect(main.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(main.get_by_role("link", name=re.compile("^(Change|Edit|History) "))).to_have_count(0)
    assert_accessible(page, f"insurer detail ({username})")

    allow_browser_errors(page, "403")
    for url in (
        f"/insurers/{insurer.pk}/contact/sca_request/",
        f"/insurers/{insurer.pk}/contact/appeals/",
        f"/insurers/{insurer.pk}/policies/new/",
        f"/policies/{rated_policy.pk}/edit/",
        f"/policies/{rated_policy.pk}/history/",
    ):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.get_by_role("heading", name="Not allowed", level=1)).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
    assert_accessible(page, f"403 ({username})")
