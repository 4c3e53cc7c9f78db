"""Browser pages for insurers and their rate policies: who may change them, how refusals
show, the change history, and constant query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Insurer, PolicyRate, RatePolicy
from cases.services.reference import rate_policy_update
from tests.factories import (
    BillingCodeFactory,
    InsurerFactory,
    PolicyRateFactory,
    RatePolicyFactory,
)

TODAY = timezone.localdate


def policy_post(policy, rates=(), **overrides) -> dict:
    """The edit form as the page would submit it, with ``rates`` as the table rows."""
    data = {
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else "",
        "kind": policy.kind,
        "percent": "" if policy.percent is None else str(policy.percent),
        "reference_schedule": policy.reference_schedule,
        "min_network_attempts": str(policy.min_network_attempts),
        "max_agreement_days": str(policy.max_agreement_days or ""),
        "expected_response_days": str(policy.expected_response_days or ""),
        "submission_channel": policy.submission_channel,
        "protocol_notes": policy.protocol_notes,
    }
    if policy.requires_consent:
        data["requires_consent"] = "on"
    if policy.requires_pre_treatment:
        data["requires_pre_treatment"] = "on"
    rows = list(rates)
    data.update(
        {
            "rates-TOTAL_FORMS": str(len(rows)),
            "rates-INITIAL_FORMS": "0",
            "rates-MIN_NUM_FORMS": "0",
            "rates-MAX_NUM_FORMS": "300",
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"rates-{i}-{key}"] = value
    data.update(overrides)
    return data


def row(code="97153", modifier="", highest="15.00", reference="14.00", **extra) -> dict:
    return {
        "code": code,
        "modifier": modifier,
        "highest_network_rate": highest,
        "reference_rate": reference,
        **extra,
    }


# ----------------------------------------------------------------------------- reading


def test_everyone_signed_in_may_view_insurers(world, web, policy, aba_code):
    PolicyRateFactory(policy=policy, billing_code=aba_code)
    browser = web(world.staff)
    listing = browser.get(reverse("cases:insurer_list"))
    assert listing.status_code == 200
    assert "Evergreen Health Plan" in listing.text
    assert listing.context["nav_section"] == "insurers"
    detail = browser.get(reverse("cases:insurer_detail", args=[policy.insurer_id]))
    assert detail.status_code == 200
    assert "97153" in detail.text


def test_insurer_page_banner_says_whether_the_policy_in_force_is_negotiable(world, web, insurer):
    RatePolicyFactory(practice=world.practice, insurer=insurer, kind="negotiable")
    page = web(world.staff).get(reverse("cases:insurer_detail", args=[insurer.pk]))
    assert "<strong>Negotiable.</strong>" in page.text

    other = InsurerFactory(name="Fixed Pay Health")
    RatePolicyFactory(
        practice=world.practice,
        insurer=other,
        kind="percent_of_reference",
        percent=Decimal("110"),
        reference_schedule="medicare",
    )
    page = web(world.staff).get(reverse("cases:insurer_detail", args=[other.pk]))
    assert "<strong>Not negotiable.</strong>" in page.text
    assert "110% of the Medicare schedule" in page.text


def test_insurer_page_shows_the_rate_the_policy_pays(world, web, insurer, aba_code):
    percent = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        kind="percent_of_reference",
        percent=Decimal("110"),
        reference_schedule="medicare",
    )
    PolicyRateFactory(
        policy=percent,
        billing_code=aba_code,
        highest_network_rate=Decimal("15.00"),
        reference_rate=Decimal("14.05"),
    )
    page = web(world.staff).get(reverse("cases:insurer_detail", args=[insurer.pk]))
    [rate] = page.context["rates"]
    assert rate.pays == Decimal("15.46")  # 110% of 14.05 = 15.455, rounded half-up
    assert "$15.46" in page.text


def test_insurer_page_lists_past_and_future_policies_and_shows_only_the_one_in_force(
    world, web, insurer
):
    today = TODAY()
    past = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=today - dt.timedelta(days=800),
        effective_to=today - dt.timedelta(days=400),
    )
    current = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=today - dt.timedelta(days=399),
        effective_to=today + dt.timedelta(days=10),
    )
    future = RatePolicyFactory(practice=world.practice, insurer=insurer, effective_from=today + dt.timedelta(days=11))
    page = web(world.staff).get(reverse("cases:insurer_detail", args=[insurer.pk]))
    assert page.context["policy"] == current
    statuses = {p.pk: p.status for p in page.context["policies"]}
    assert statuses == {past.pk: "past", current.pk: "in force", future.pk: "future"}


def test_unknown_insurer_is_404(world, web):
    assert web(world.staff).get("/insurers/999999/").status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(db, web, insurer):
    response = web().get(reverse("cases:insurer_detail", args=[insurer.pk]))
    assert response.status_code == 302


# ----------------------------------------------------------------------------- who may edit


def test_only_reference_data_editors_may_edit_policies(world, web, policy):
    edit = reverse("cases:policy_edit", args=[policy.pk])
    for user in (world.staff, world.billing, world.other_staff):
        browser = web(user)
        assert browser.get(edit).status_code == 403
        assert (
            browser.post(edit, policy_post(policy, kind="highest_network_rate")).status_code == 403
        )
        assert browser.get(reverse("cases:insurer_create")).status_code == 403
        assert (
            browser.get(reverse("cases:insurer_edit", args=[policy.insurer_id])).status_code == 403
        )
        assert (
            browser.get(reverse("cases:policy_create", args=[policy.insurer_id])).status_code == 403
        )
        assert browser.get(reverse("cases:policy_history", args=[policy.pk])).status_code == 403
    policy.refresh_from_db()
    assert policy.kind == "negotiable"
    assert web(world.admin).get(edit).status_code == 200


def test_edit_buttons_are_hidden_from_users_who_may_not_edit(world, web, policy):
    detail = reverse("cases:insurer_detail", args=[policy.insurer_id])
    edit = reverse("cases:policy_edit", args=[policy.pk])
    staff_page = web(world.staff).get(detail).text
    assert edit not in staff_page
    assert reverse("cases:insurer_edit", args=[policy.insurer_id]) not in staff_page
    assert reverse("cases:policy_create", args=[policy.insurer_id]) not in staff_page
    assert (
        reverse("cases:insurer_create")
        not in web(world.staff).get(reverse("cases:insurer_list")).text
    )
    admin_page = web(world.admin).get(detail).text
    assert edit in admin_page
    assert reverse("cases:policy_create", args=[policy.insurer_id]) in admin_page


# ----------------------------------------------------------------------------- insurers


def test_admin_adds_and_edits_an_insurer(world, web):
    browser = web(world.admin)
    response = browser.post(
        reverse("cases:insurer_create"),
        {"name": "Summit Care", "payer_id": "SC123", "sca_fax": "800-555-0199", "is_active": "on"},
    )
    insurer = Insurer.objects.get(name="Summit Care")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:insurer_detail", args=[insurer.pk])
    response = browser.post(
        reverse("cases:insurer_edit", args=[insurer.pk]),
        {"name": "Summit Care Plus", "payer_id": "SC123", "is_active": "on"},
    )
    assert response.status_code == 302
    insurer.refresh_from_db()
    assert insurer.name == "Summit Care Plus"
    assert insurer.history.first().history_user == world.admin


def test_insurer_names_are_unique(world, web, insurer):
    response = web(world.admin).post(
        reverse("cases:insurer_create"), {"name": insurer.name, "is_active": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert Insurer.objects.filter(name=insurer.name).count() == 1


# ----------------------------------------------------------------------------- policies


def test_admin_edits_a_policy_and_its_rates_and_the_history_shows_old_new_and_who(
    world, web, policy, aba_code
):
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    browser = web(world.admin)
    response = browser.post(
        reverse("cases:policy_edit", args=[policy.pk]),
        policy_post(
            policy,
            rates=[row(highest="16.25")],
            kind="percent_of_reference",
            percent="120",
            reference_schedule="medicare",
        ),
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    policy.refresh_from_db()
    assert (policy.kind, policy.percent) == ("percent_of_reference", Decimal("120.00"))
    assert policy.rates.get().highest_network_rate == Decimal("16.25")

    history = browser.get(reverse("cases:policy_history", args=[policy.pk]))
    assert history.status_code == 200
    text = history.text
    assert "demo_admin" in text
    assert "Negotiable (offers and counter-offers)" in text  # old kind
    assert "Percent of a reference schedule (accept or decline)" in text  # new kind
    assert "<del>—</del> → <ins>120.00</ins>" in text  # percent
    assert "<del>15.00</del> → <ins>16.25</ins>" in text  # the rate
    first = history.context["entries"][0]
    assert first["user"] == "demo_admin"
    times = [e["at"] for e in history.context["entries"]]
    assert times == sorted(times, reverse=True)


def test_policy_edit_form_shows_the_current_rates(world, web, policy, aba_code):
    PolicyRateFactory(
        policy=policy, billing_code=aba_code, modifier="", reference_rate=Decimal("13.10")
    )
    page = web(world.admin).get(reverse("cases:policy_edit", args=[policy.pk]))
    formset = page.context["formset"]
    assert formset.initial_form_count() == 1
    assert formset.forms[0].initial["code"] == "97153"
    assert 'value="13.10"' in page.text
    # Every rate input is labelled with its row and column.
    assert "Row 1: Highest network rate" in page.text


def test_policies_of_one_insurer_may_not_overlap(world, web, policy, aba_code):
    # The fixture policy is open-ended from a year ago: a new one from next month overlaps it.
    start = TODAY() + dt.timedelta(days=30)
    new = RatePolicy(
        insurer=policy.insurer,
        effective_from=start,
        kind="highest_network_rate",
        min_network_attempts=2,
        requires_pre_treatment=True,
        submission_channel="fax",
    )
    response = web(world.admin).post(
        reverse("cases:policy_create", args=[policy.insurer_id]), policy_post(new, rates=[row()])
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["effective_from"]
    assert any("overlaps the insurer's policy" in e for e in errors)
    assert "end that one first" in response.text
    assert RatePolicy.objects.filter(insurer=policy.insurer).count() == 1
    assert not PolicyRate.objects.exists()


def test_a_policy_and_its_rates_are_saved_together_or_not_at_all(world, web, policy, aba_code):
    # An unknown modifier is refused by the service after the policy fields were applied:
    # the whole save rolls back.
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        policy_post(policy, rates=[row(modifier="ZZ")], min_network_attempts="5"),
    )
    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert "'ZZ' is not an active modifier." in rows[0].errors["modifier"]
    policy.refresh_from_db()
    assert policy.min_network_attempts == 3
    assert not policy.rates.exists()


def test_negative_rates_are_refused_on_the_field(world, web, policy, aba_code):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        policy_post(policy, rates=[row(highest="-1.00")]),
    )
    assert response.status_code == 400
    errors = response.context["formset"].forms[0].errors["highest_network_rate"]
    assert errors == ["Ensure this value is greater than or equal to 0."]
    assert "Ensure this value is greater than or equal to 0." in response.text
    assert not policy.rates.exists()


def test_a_code_appears_once_per_modifier_in_a_policy(world, web, policy, aba_code):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        policy_post(policy, rates=[row(), row(highest="20.00")]),
    )
    assert response.status_code == 400
    assert "97153 is already in row 1" in response.context["formset"].forms[1].errors["code"][0]
    assert not policy.rates.exists()


def test_rate_codes_must_be_in_the_catalog(world, web, policy):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]), policy_post(policy, rates=[row("99999")])
    )
    assert response.status_code == 400
    assert (
        "not in the billing code catalog" in response.context["formset"].forms[0].errors["code"][0]
    )


def test_percent_of_reference_needs_a_percent_and_a_schedule(world, web, policy):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        policy_post(policy, kind="percent_of_reference"),
    )
    assert response.status_code == 400
    assert "needs a percent and a reference schedule" in response.text
    policy.refresh_from_db()
    assert policy.kind == "negotiable"


def test_blank_rows_are_skipped_and_removed_rows_are_deleted(world, web, policy, aba_code):
    BillingCodeFactory(code="97155")
    PolicyRateFactory(policy=policy, billing_code=aba_code)
    data = policy_post(
        policy,
        rates=[
            row("97153", DELETE="on"),
            row("97155", highest="22.00"),
            row("", highest="", reference=""),
        ],
    )
    data["rates-INITIAL_FORMS"] = "1"
    response = web(world.admin).post(reverse("cases:policy_edit", args=[policy.pk]), data)
    assert response.status_code == 302
    assert list(policy.rates.values_list("billing_code__code", "highest_network_rate")) == [
        ("97155", Decimal("22.00"))
    ]


def test_admin_creates_a_policy_with_rates(world, web, insurer, aba_code):
    new = RatePolicy(
        insurer=insurer,
        effective_from=TODAY(),
        kind="highest_network_rate",
        min_network_attempts=2,
        requires_pre_treatment=True,
        submission_channel="portal",
    )
    response = web(world.admin).post(
        reverse("cases:policy_create", args=[insurer.pk]), policy_post(new, rates=[row()])
    )
    assert response.status_code == 302
    created = insurer.policies.get()
    assert created.kind == "highest_network_rate"
    assert created.rates.get().billing_code == aba_code
    assert created.history.first().history_user == world.admin


# ----------------------------------------------------------------------------- query counts


def count_queries(browser, url) -> int:
    browser.get(url)  # warm up: the first page of a session remembers the practice
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_insurer_list_query_count_is_constant(world, web):
    browser = web(world.staff)
    url = reverse("cases:insurer_list")
    RatePolicyFactory(practice=world.practice, insurer=InsurerFactory())
    one = count_queries(browser, url)
    for _ in range(8):
        RatePolicyFactory(practice=world.practice, insurer=InsurerFactory())
    assert count_queries(browser, url) == one


def test_insurer_detail_query_count_is_constant(world, web, insurer):
    browser = web(world.admin)
    url = reverse("cases:insurer_detail", args=[insurer.pk])
    today = TODAY()
    current = RatePolicyFactory(practice=world.practice, insurer=insurer, effective_from=today - dt.timedelta(days=10))
    PolicyRateFactory(policy=current, billing_code=BillingCodeFactory(code="97151"))
    one = count_queries(browser, url)
    for n in range(2, 8):
        start = today - dt.timedelta(days=100 * n)
        RatePolicyFactory(
        practice=world.practice,
            insurer=insurer, effective_from=start, effective_to=start + dt.timedelta(days=50)
        )
        PolicyRateFactory(policy=current, billing_code=BillingCodeFactory(code=f"9715{n}"))
    assert count_queries(browser, url) == one


def test_policy_history_query_count_is_constant(world, web, policy, aba_code):
    browser = web(world.admin)
    url = reverse("cases:policy_history", args=[policy.pk])
    rate = PolicyRateFactory(policy=policy, billing_code=aba_code)
    one = count_queries(browser, url)
    for cents in range(10, 16):
        rate_policy_update(
            policy=policy,
            actor=world.admin,
            min_network_attempts=cents % 5,
            rates=[
                {
                    "billing_code": rate.billing_code,
                    "modifier": "",
                    "highest_network_rate": Decimal(f"15.{cents}"),
                    "reference_rate": None,
                }
            ],
        )
    assert count_queries(browser, url) == one


@pytest.mark.parametrize("name", ["insurer_edit", "policy_create"])
def test_unknown_insurer_edit_pages_are_404_for_admins(world, web, name):
    assert web(world.admin).get(reverse(f"cases:{name}", args=[999999])).status_code == 404
