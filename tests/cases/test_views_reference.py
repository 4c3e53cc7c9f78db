"""Browser pages for insurers and a practice's own rate policies and SCA contacts: who may
change them, how a change to the policy in force and a correction differ, how refusals show,
the change history, and constant query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import InsurerContact, PolicyRate, RatePolicy
from cases.services.reference import rate_policy_update
from tests.factories import (
    BillingCodeFactory,
    InsurerFactory,
    MembershipFactory,
    PolicyRateFactory,
    RatePolicyFactory,
    UserFactory,
)

TODAY = timezone.localdate


def policy_post(policy, rates=(), **overrides) -> dict:
    """The policy form as the page would submit it, with ``rates`` as the table rows."""
    data = {
        "line_of_business": policy.line_of_business,
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else "",
        "kind": policy.kind,
        "percent": "" if policy.percent is None else str(policy.percent),
        "reference_schedule": policy.reference_schedule,
        "min_network_attempts": str(policy.min_network_attempts),
        "retro_days": str(policy.retro_days),
        "continuity_days": str(policy.continuity_days),
        "required_attachments": list(policy.required_attachments),
        "required_provider_documents": list(policy.required_provider_documents),
        "max_agreement_days": str(policy.max_agreement_days or ""),
        "expected_response_days": str(policy.expected_response_days or ""),
        "submission_channel": policy.submission_channel,
        "protocol_notes": policy.protocol_notes,
        "confirmed_with": policy.confirmed_with,
        "confirmed_on": policy.confirmed_on.isoformat() if policy.confirmed_on else "",
        "reference": policy.reference,
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


def revision_post(
    policy, rates=(), *, effective_from, reason="New rates confirmed by phone", **overrides
) -> dict:
    """The change of the policy in force as the page would submit it: the new terms, from
    when and why (the period and line fields are not on that form and are ignored)."""
    return policy_post(
        policy,
        rates,
        **{"change-effective_from": str(effective_from), "change-reason": reason},
        **overrides,
    )


def row(code="97153", modifier="", highest="15.00", reference="14.00", **extra) -> dict:
    return {
        "code": code,
        "modifier": modifier,
        "highest_network_rate": highest,
        "reference_rate": reference,
        **extra,
    }


def days(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


def other_admin(world):
    """An administrator of Harbor, the other practice."""
    return MembershipFactory(
        practice=world.other_practice, role="admin", user=UserFactory(username="other_admin")
    ).user


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
    future = RatePolicyFactory(
        practice=world.practice, insurer=insurer, effective_from=today + dt.timedelta(days=11)
    )
    page = web(world.staff).get(reverse("cases:insurer_detail", args=[insurer.pk]))
    assert page.context["policy"] == current
    statuses = {p.pk: p.status for p in page.context["policies"]}
    assert statuses == {past.pk: "past", current.pk: "in force", future.pk: "future"}


def test_unknown_insurer_is_404(world, web):
    assert web(world.staff).get("/insurers/999999/").status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(db, web, insurer):
    response = web().get(reverse("cases:insurer_detail", args=[insurer.pk]))
    assert response.status_code == 302


def test_insurer_page_shows_the_policy_of_the_line_asked_for_commercial_by_default(
    world, web, insurer
):
    commercial = RatePolicyFactory(practice=world.practice, insurer=insurer, kind="negotiable")
    medicaid = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        line_of_business="medicaid",
        kind="highest_network_rate",
    )
    browser = web(world.staff)
    url = reverse("cases:insurer_detail", args=[insurer.pk])
    default = browser.get(url)
    assert (default.context["line"], default.context["policy"]) == ("commercial", commercial)
    page = browser.get(f"{url}?line=medicaid")
    assert (page.context["line"], page.context["policy"]) == ("medicaid", medicaid)
    assert "<strong>Not negotiable.</strong>" in page.text
    tricare = browser.get(f"{url}?line=tricare")
    assert tricare.context["policy"] is None
    assert "No policy in force today for your practice (TRICARE)." in tricare.text
    # Every policy of the practice is listed whatever the line shown.
    assert {p.pk for p in tricare.context["policies"]} == {commercial.pk, medicaid.pk}
    assert browser.get(f"{url}?line=bogus").context["line"] == "commercial"


def test_each_practice_sees_its_own_policy_for_an_insurer(world, web, insurer):
    mine = RatePolicyFactory(practice=world.practice, insurer=insurer, kind="negotiable")
    theirs = RatePolicyFactory(
        practice=world.other_practice, insurer=insurer, kind="highest_network_rate"
    )
    url = reverse("cases:insurer_detail", args=[insurer.pk])

    bright_path = web(world.staff).get(url)
    assert bright_path.context["policy"] == mine
    assert [p.pk for p in bright_path.context["policies"]] == [mine.pk]
    assert "<strong>Negotiable.</strong>" in bright_path.text
    assert "Not negotiable." not in bright_path.text

    harbor = web(world.other_staff).get(url)
    assert harbor.context["policy"] == theirs
    assert [p.pk for p in harbor.context["policies"]] == [theirs.pk]
    assert "<strong>Not negotiable.</strong>" in harbor.text
    assert "<strong>Negotiable.</strong>" not in harbor.text


# ----------------------------------------------------------------------------- who may edit


def test_only_the_practice_admins_may_edit_its_policies(world, web, policy):
    edit = reverse("cases:policy_edit", args=[policy.pk])
    create = reverse("cases:policy_create", args=[policy.insurer_id])
    history = reverse("cases:policy_history", args=[policy.pk])
    new = RatePolicy(
        practice=world.practice,
        insurer=policy.insurer,
        line_of_business="medicaid",
        effective_from=TODAY(),
        kind="negotiable",
    )
    for user in (world.staff, world.billing, world.other_staff):
        browser = web(user)
        assert browser.get(edit).status_code == 403
        change = revision_post(policy, effective_from=days(1), kind="highest_network_rate")
        assert browser.post(edit, change).status_code == 403
        assert browser.get(create).status_code == 403
        assert browser.post(create, policy_post(new)).status_code == 403
        assert browser.get(history).status_code == 403
    policy.refresh_from_db()
    assert (policy.kind, policy.effective_to) == ("negotiable", None)
    assert RatePolicy.objects.count() == 1
    admin = web(world.admin)
    assert admin.get(edit).status_code == 200
    assert admin.get(create).status_code == 200
    assert admin.get(history).status_code == 200


def test_another_practices_admin_does_not_find_its_policies(world, web, policy):
    browser = web(other_admin(world))
    edit = reverse("cases:policy_edit", args=[policy.pk])
    assert browser.get(edit).status_code == 404
    assert browser.post(edit, revision_post(policy, effective_from=days(1))).status_code == 404
    assert browser.get(reverse("cases:policy_history", args=[policy.pk])).status_code == 404
    policy.refresh_from_db()
    assert policy.effective_to is None
    assert RatePolicy.objects.count() == 1
    page = browser.get(reverse("cases:insurer_detail", args=[policy.insurer_id]))
    assert page.context["policy"] is None
    assert page.context["policies"] == []
    assert edit not in page.text


def test_edit_buttons_are_hidden_from_users_who_may_not_edit(world, web, policy):
    detail = reverse("cases:insurer_detail", args=[policy.insurer_id])
    links = [
        reverse("cases:policy_edit", args=[policy.pk]),
        reverse("cases:policy_history", args=[policy.pk]),
        reverse("cases:policy_create", args=[policy.insurer_id]),
        reverse("cases:insurer_contact_edit", args=[policy.insurer_id, "sca_request"]),
        reverse("cases:insurer_contact_edit", args=[policy.insurer_id, "appeals"]),
    ]
    for user in (world.staff, world.billing):
        page = web(user).get(detail).text
        assert [link for link in links if link in page] == []
    admin_page = web(world.admin).get(detail).text
    assert [link for link in links if link not in admin_page] == []


def test_only_site_operators_see_the_links_to_edit_the_directory(world, web, insurer):
    operator = UserFactory(username="site_operator", is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cases", codename__in=["add_insurer", "change_insurer"]
        )
    )
    MembershipFactory(practice=world.practice, role="staff", user=operator)
    # Django staff without the model permission is no operator.
    staff_without_permission = UserFactory(username="staff_without_permission", is_staff=True)
    MembershipFactory(practice=world.practice, role="admin", user=staff_without_permission)
    detail = reverse("cases:insurer_detail", args=[insurer.pk])
    listing = reverse("cases:insurer_list")
    change = reverse("admin:cases_insurer_change", args=[insurer.pk])
    add = reverse("admin:cases_insurer_add")

    browser = web(operator)
    page = browser.get(detail).text
    assert f'<a class="btn" href="{change}">Edit directory entry</a>' in page
    assert add in browser.get(listing).text
    assert browser.get(change).status_code == 200

    for user in (world.admin, staff_without_permission):
        browser = web(user)
        page = browser.get(detail).text
        assert "Edit directory entry" not in page
        assert change not in page
        assert add not in browser.get(listing).text


# ----------------------------------------------------------------------------- policies


def test_the_policy_in_force_is_changed_from_a_date_and_other_policies_are_corrected(
    world, web, policy
):
    browser = web(world.admin)
    in_force = browser.get(reverse("cases:policy_edit", args=[policy.pk]))
    assert in_force.context["revision"] is not None
    assert "<h1>Change the policy in force</h1>" in in_force.text
    assert 'name="change-effective_from"' in in_force.text
    assert 'name="change-reason"' in in_force.text
    for name in ("effective_from", "effective_to", "line_of_business"):
        assert f'name="{name}"' not in in_force.text

    future = RatePolicyFactory(
        practice=world.practice,
        insurer=policy.insurer,
        line_of_business="medicaid",
        effective_from=days(30),
    )
    page = browser.get(reverse("cases:policy_edit", args=[future.pk]))
    assert page.context["revision"] is None
    assert "<h1>Edit rate policy</h1>" in page.text
    assert 'name="change-effective_from"' not in page.text
    for name in ("effective_from", "effective_to", "line_of_business"):
        assert f'name="{name}"' in page.text


def test_changing_the_policy_in_force_ends_it_the_day_before_and_starts_new_terms(
    world, web, policy, aba_code
):
    world.admin.first_name, world.admin.last_name = "Robin", "Okafor"
    world.admin.save()
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    change_on = days(14)
    reason = "New contract confirmed by the provider relations representative"
    browser = web(world.admin)
    response = browser.post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(
            policy,
            rates=[row(highest="16.25")],
            effective_from=change_on,
            reason=reason,
            kind="percent_of_reference",
            percent="120",
            reference_schedule="medicare",
            confirmed_with="J. Rivera",
        ),
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    detail = reverse("cases:insurer_detail", args=[policy.insurer_id])
    assert response["Location"] == f"{detail}?line=commercial"

    # The old terms stay as they were, up to the day before the change.
    policy.refresh_from_db()
    assert policy.effective_to == change_on - dt.timedelta(days=1)
    assert (policy.kind, policy.percent) == ("negotiable", None)
    assert policy.rates.get().highest_network_rate == Decimal("15.00")

    new = RatePolicy.objects.exclude(pk=policy.pk).get()
    assert (new.practice, new.insurer, new.line_of_business) == (
        world.practice,
        policy.insurer,
        "commercial",
    )
    assert (new.effective_from, new.effective_to) == (change_on, None)
    assert (new.kind, new.percent, new.reference_schedule) == (
        "percent_of_reference",
        Decimal("120.00"),
        "medicare",
    )
    assert new.confirmed_with == "J. Rivera"
    assert new.min_network_attempts == policy.min_network_attempts
    [rate] = new.rates.all()
    assert (rate.billing_code, rate.highest_network_rate) == (aba_code, Decimal("16.25"))

    # The new policy's history: created by the author (full name), for the reason given.
    history = browser.get(reverse("cases:policy_history", args=[new.pk]))
    assert history.status_code == 200
    assert "Robin Okafor" in history.text
    assert f"<td>{reason}</td>" in history.text
    [created] = [e for e in history.context["entries"] if e["what"] == "Policy"]
    assert (created["action"], created["user"], created["reason"]) == (
        "created",
        "Robin Okafor",
        reason,
    )

    # The old policy's history: its end, by whom and why.
    history = browser.get(reverse("cases:policy_history", args=[policy.pk]))
    [ended] = [e for e in history.context["entries"] if e["action"] == "changed"]
    assert (ended["user"], ended["reason"]) == ("Robin Okafor", f"Ended: {reason}")
    day_before = (change_on - dt.timedelta(days=1)).isoformat()
    assert ended["changes"] == [("effective to", "—", day_before)]
    assert f"Effective to: <del>—</del> → <ins>{day_before}</ins>" in history.text


@pytest.mark.parametrize("period", [(30, None), (-800, -400)], ids=["future", "past"])
def test_a_policy_not_in_force_is_corrected_in_place_and_the_history_shows_old_new_and_who(
    world, web, insurer, aba_code, period
):
    start, end = period
    corrected = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=days(start),
        effective_to=days(end) if end is not None else None,
    )
    PolicyRateFactory(
        policy=corrected, billing_code=aba_code, highest_network_rate=Decimal("15.00")
    )
    browser = web(world.admin)
    response = browser.post(
        reverse("cases:policy_edit", args=[corrected.pk]),
        policy_post(
            corrected,
            rates=[row(highest="16.25")],
            kind="percent_of_reference",
            percent="120",
            reference_schedule="medicare",
        ),
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert RatePolicy.objects.get() == corrected
    corrected.refresh_from_db()
    assert (corrected.kind, corrected.percent) == ("percent_of_reference", Decimal("120.00"))
    assert corrected.effective_from == days(start)
    assert corrected.rates.get().highest_network_rate == Decimal("16.25")

    history = browser.get(reverse("cases:policy_history", args=[corrected.pk]))
    assert history.status_code == 200
    text = history.text
    assert "demo_admin" in text  # no full name: the username
    assert "Negotiable (offers and counter-offers)" in text  # old kind
    assert "Percent of a reference schedule (accept or decline)" in text  # new kind
    assert "<del>—</del> → <ins>120.00</ins>" in text  # percent
    assert "<del>15.00</del> → <ins>16.25</ins>" in text  # the rate
    first = history.context["entries"][0]
    assert first["user"] == "demo_admin"
    times = [e["at"] for e in history.context["entries"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    "after_start, reason, field",
    [
        (0, "New rates", "effective_from"),
        (-1, "New rates", "effective_from"),
        (30, "", "reason"),
        (30, "   ", "reason"),
    ],
    ids=["on-the-start", "before-the-start", "no-reason", "blank-reason"],
)
def test_a_change_must_start_after_the_policy_did_and_say_why(
    world, web, policy, aba_code, after_start, reason, field
):
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    typed_on = policy.effective_from + dt.timedelta(days=after_start)
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(
            policy,
            rates=[row(highest="16.25")],
            effective_from=typed_on,
            reason=reason,
            min_network_attempts="7",
            protocol_notes="Fax the cover sheet first.",
        ),
    )
    assert response.status_code == 400
    revision = response.context["revision"]
    assert list(revision.errors) == [field]
    assert f'id="id_change-{field}_error"' in response.text
    # What was typed is kept.
    assert revision["effective_from"].value() == typed_on.isoformat()
    assert revision["reason"].value() == reason
    assert f'value="{typed_on.isoformat()}"' in response.text
    assert response.context["form"]["min_network_attempts"].value() == "7"
    assert 'value="7"' in response.text
    assert "Fax the cover sheet first." in response.text
    assert 'value="16.25"' in response.text
    policy.refresh_from_db()
    assert (policy.effective_to, policy.min_network_attempts) == (None, 3)
    assert RatePolicy.objects.count() == 1
    assert policy.rates.get().highest_network_rate == Decimal("15.00")


def test_a_change_after_the_policy_ends_is_refused_on_its_date(world, web, insurer):
    ending = RatePolicyFactory(
        practice=world.practice, insurer=insurer, effective_from=days(-100), effective_to=days(10)
    )
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[ending.pk]),
        revision_post(ending, effective_from=days(20), reason="New rates"),
    )
    assert response.status_code == 400
    revision = response.context["revision"]
    [error] = revision.errors["effective_from"]
    assert f"The policy ended on {days(10).isoformat()}" in error
    assert revision["reason"].value() == "New rates"
    assert not response.context["form"].errors
    ending.refresh_from_db()
    assert ending.effective_to == days(10)
    assert RatePolicy.objects.count() == 1


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


def test_a_new_policy_starts_as_a_copy_of_the_one_in_force_for_its_line(
    world, web, insurer, aba_code
):
    BillingCodeFactory(code="97155")
    medicaid = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        line_of_business="medicaid",
        kind="percent_of_reference",
        percent=Decimal("110"),
        reference_schedule="medicaid",
        min_network_attempts=5,
        requires_consent=True,
        requires_pre_treatment=False,
        max_agreement_days=180,
        expected_response_days=30,
        submission_channel="portal",
        protocol_notes="Upload through the state portal.",
        confirmed_with="J. Rivera",
        confirmed_on=days(-10),
        reference="CALL-778",
    )
    PolicyRateFactory(
        policy=medicaid,
        billing_code=aba_code,
        highest_network_rate=None,
        reference_rate=Decimal("13.10"),
    )
    PolicyRateFactory(
        policy=medicaid,
        billing_code=BillingCodeFactory(code="97155"),
        modifier="",
        highest_network_rate=Decimal("22.00"),
        reference_rate=Decimal("20.50"),
    )
    # Neither the practice's commercial policy nor Harbor's Medicaid one is the model.
    RatePolicyFactory(practice=world.practice, insurer=insurer, min_network_attempts=2)
    RatePolicyFactory(
        practice=world.other_practice,
        insurer=insurer,
        line_of_business="medicaid",
        kind="highest_network_rate",
        min_network_attempts=9,
    )
    url = reverse("cases:policy_create", args=[insurer.pk])
    browser = web(world.admin)

    page = browser.get(f"{url}?line=medicaid")
    assert page.status_code == 200
    form = page.context["form"]
    expected = {
        "line_of_business": "medicaid",
        "effective_from": TODAY(),
        "effective_to": None,
        "kind": "percent_of_reference",
        "percent": Decimal("110.00"),
        "reference_schedule": "medicaid",
        "min_network_attempts": 5,
        "requires_consent": True,
        "requires_pre_treatment": False,
        "max_agreement_days": 180,
        "expected_response_days": 30,
        "submission_channel": "portal",
        "protocol_notes": "Upload through the state portal.",
        "confirmed_with": "J. Rivera",
        "confirmed_on": days(-10),
        "reference": "CALL-778",
    }
    assert {name: form[name].value() for name in expected} == expected
    assert page.context["formset"].initial == [
        {
            "code": "97153",
            "modifier": "",
            "highest_network_rate": None,
            "reference_rate": Decimal("13.10"),
        },
        {
            "code": "97155",
            "modifier": "",
            "highest_network_rate": Decimal("22.00"),
            "reference_rate": Decimal("20.50"),
        },
    ]
    assert 'value="110.00"' in page.text
    assert 'value="CALL-778"' in page.text
    assert 'value="20.50"' in page.text

    # No policy in force for the line: only the line and today are filled in.
    blank = browser.get(f"{url}?line=tricare")
    form = blank.context["form"]
    assert (form["line_of_business"].value(), form["effective_from"].value()) == (
        "tricare",
        TODAY(),
    )
    assert (form["kind"].value(), form["confirmed_with"].value()) == ("", "")
    assert form["min_network_attempts"].value() == 3  # the model's default
    assert blank.context["formset"].initial == []


def test_policies_of_one_practice_insurer_and_line_may_not_overlap(world, web, policy, aba_code):
    # The fixture policy is open-ended from a year ago: a new one from next month overlaps it.
    new = RatePolicy(
        practice=world.practice,
        insurer=policy.insurer,
        line_of_business="commercial",
        effective_from=days(30),
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
    assert any(
        "overlaps the practice's policy for this insurer and line of business" in e for e in errors
    )
    assert "end that one first" in response.text
    assert response.context["form"]["kind"].value() == "highest_network_rate"
    assert RatePolicy.objects.filter(insurer=policy.insurer).count() == 1
    assert not PolicyRate.objects.exists()


def test_other_lines_of_business_and_other_practices_may_share_a_period(world, web, policy):
    # The fixture: Bright Path's commercial policy, open-ended from a year ago.
    create = reverse("cases:policy_create", args=[policy.insurer_id])
    medicaid = RatePolicy(
        line_of_business="medicaid", effective_from=policy.effective_from, kind="negotiable"
    )
    response = web(world.admin).post(create, policy_post(medicaid))
    assert response.status_code == 302, response.context and response.context["form"].errors
    harbor = RatePolicy(
        line_of_business="commercial", effective_from=policy.effective_from, kind="negotiable"
    )
    response = web(other_admin(world)).post(create, policy_post(harbor))
    assert response.status_code == 302, response.context and response.context["form"].errors
    saved = RatePolicy.objects.filter(insurer=policy.insurer)
    assert sorted(saved.values_list("practice__name", "line_of_business")) == [
        ("Bright Path ABA", "commercial"),
        ("Bright Path ABA", "medicaid"),
        ("Harbor Behavioral Health", "commercial"),
    ]


@pytest.mark.parametrize("when", ["in force", "future"])
def test_a_policy_and_its_rates_are_saved_together_or_not_at_all(
    world, web, insurer, aba_code, when
):
    # An unknown modifier is refused by the service after the policy was written (a change:
    # the old policy ended and the new one created; a correction: its fields saved): the
    # whole save rolls back.
    if when == "in force":
        target = RatePolicyFactory(practice=world.practice, insurer=insurer)
        data = revision_post(
            target, rates=[row(modifier="ZZ")], effective_from=days(1), min_network_attempts="5"
        )
    else:
        target = RatePolicyFactory(
            practice=world.practice, insurer=insurer, effective_from=days(30)
        )
        data = policy_post(target, rates=[row(modifier="ZZ")], min_network_attempts="5")
    response = web(world.admin).post(reverse("cases:policy_edit", args=[target.pk]), data)
    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert "'ZZ' is not an active modifier." in rows[0].errors["modifier"]
    assert RatePolicy.objects.get() == target
    target.refresh_from_db()
    assert (target.min_network_attempts, target.effective_to) == (3, None)
    assert not PolicyRate.objects.exists()


def test_negative_rates_are_refused_on_the_field(world, web, policy, aba_code):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(policy, rates=[row(highest="-1.00")], effective_from=days(1)),
    )
    assert response.status_code == 400
    errors = response.context["formset"].forms[0].errors["highest_network_rate"]
    assert errors == ["Ensure this value is greater than or equal to 0."]
    assert "Ensure this value is greater than or equal to 0." in response.text
    assert not response.context["revision"].errors
    assert RatePolicy.objects.get().effective_to is None
    assert not policy.rates.exists()


def test_a_code_appears_once_per_modifier_in_a_policy(world, web, policy, aba_code):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(policy, rates=[row(), row(highest="20.00")], effective_from=days(1)),
    )
    assert response.status_code == 400
    assert "97153 is already in row 1" in response.context["formset"].forms[1].errors["code"][0]
    assert RatePolicy.objects.get().effective_to is None
    assert not PolicyRate.objects.exists()


def test_rate_codes_must_be_in_the_catalog(world, web, policy):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(policy, rates=[row("99999")], effective_from=days(1)),
    )
    assert response.status_code == 400
    assert (
        "not in the billing code catalog" in response.context["formset"].forms[0].errors["code"][0]
    )
    assert RatePolicy.objects.get().effective_to is None


def test_percent_of_reference_needs_a_percent_and_a_schedule(world, web, policy):
    response = web(world.admin).post(
        reverse("cases:policy_edit", args=[policy.pk]),
        revision_post(policy, effective_from=days(1), kind="percent_of_reference"),
    )
    assert response.status_code == 400
    assert "needs a percent and a reference schedule" in response.text
    assert RatePolicy.objects.count() == 1
    policy.refresh_from_db()
    assert (policy.kind, policy.effective_to) == ("negotiable", None)


def test_blank_rows_are_skipped_and_removed_rows_are_deleted(world, web, insurer, aba_code):
    # A correction of a future policy: its own rates change.
    future = RatePolicyFactory(practice=world.practice, insurer=insurer, effective_from=days(30))
    BillingCodeFactory(code="97155")
    PolicyRateFactory(policy=future, billing_code=aba_code)
    data = policy_post(
        future,
        rates=[
            row("97153", DELETE="on"),
            row("97155", highest="22.00"),
            row("", highest="", reference=""),
        ],
    )
    data["rates-INITIAL_FORMS"] = "1"
    response = web(world.admin).post(reverse("cases:policy_edit", args=[future.pk]), data)
    assert response.status_code == 302, response.context and response.context["formset"].errors
    assert RatePolicy.objects.get() == future
    assert list(future.rates.values_list("billing_code__code", "highest_network_rate")) == [
        ("97155", Decimal("22.00"))
    ]


def test_admin_creates_a_policy_with_rates(world, web, insurer, aba_code):
    new = RatePolicy(
        line_of_business="tricare",
        effective_from=TODAY(),
        kind="highest_network_rate",
        min_network_attempts=2,
        requires_pre_treatment=True,
        submission_channel="portal",
        confirmed_with="J. Rivera",
        confirmed_on=days(-2),
        reference="CALL-12",
    )
    response = web(world.admin).post(
        reverse("cases:policy_create", args=[insurer.pk]), policy_post(new, rates=[row()])
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    detail = reverse("cases:insurer_detail", args=[insurer.pk])
    assert response["Location"] == f"{detail}?line=tricare"
    created = insurer.policies.get()
    assert (created.practice, created.line_of_business, created.kind) == (
        world.practice,
        "tricare",
        "highest_network_rate",
    )
    assert (created.confirmed_with, created.confirmed_on, created.reference) == (
        "J. Rivera",
        days(-2),
        "CALL-12",
    )
    assert created.rates.get().billing_code == aba_code
    assert created.history.first().history_user == world.admin


# ----------------------------------------------------------------------------- contacts


def contact_post(**overrides) -> dict:
    data = {
        "department": "Single Case Agreement Unit, Optum",
        "address": "PO Box 30757\nSalt Lake City, UT 84130",
        "fax": "518-555-0142",
        "email": "sca@example.com",
        "phone": "",
        "portal_url": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_the_practice_saves_its_own_contact_and_the_insurer_page_shows_its_fax(world, web, insurer):
    url = reverse("cases:insurer_contact_edit", args=[insurer.pk, "sca_request"])
    detail = reverse("cases:insurer_detail", args=[insurer.pk])
    browser = web(world.admin)
    assert browser.get(url).status_code == 200
    response = browser.post(url, contact_post())
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == detail
    contact = InsurerContact.objects.get()
    assert (contact.practice, contact.insurer, contact.purpose) == (
        world.practice,
        insurer,
        "sca_request",
    )
    assert (contact.fax, contact.email) == ("518-555-0142", "sca@example.com")
    assert contact.history.first().history_user == world.admin

    page = browser.get(detail)
    assert page.context["contact"].fax == "518-555-0142"
    assert {"fax", "email", "department"} <= page.context["contact"].own
    assert "518-555-0142" in page.text
    assert "800-555-0102" in page.text  # the directory entry keeps its own fax
    # The appeals contact is another purpose: still the directory's.
    assert page.context["appeals_contact"].fax == "800-555-0102"

    # Saved again, the same contact changes.
    assert browser.post(url, contact_post(fax="518-555-0143")).status_code == 302
    assert InsurerContact.objects.get().fax == "518-555-0143"

    # Harbor reads the directory's fax.
    harbor = web(world.other_staff).get(detail)
    assert harbor.context["contact"].fax == "800-555-0102"
    assert "518-555-014" not in harbor.text


@pytest.mark.parametrize("field, value", [("fax", "555-0142"), ("email", "not-an-address")])
def test_an_invalid_contact_fax_or_email_is_refused_on_its_field(world, web, insurer, field, value):
    response = web(world.admin).post(
        reverse("cases:insurer_contact_edit", args=[insurer.pk, "sca_request"]),
        contact_post(**{field: value}),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'id="id_{field}_error"' in response.text
    assert f'value="{value}"' in response.text
    assert 'value="Single Case Agreement Unit, Optum"' in response.text
    assert not InsurerContact.objects.exists()


def test_only_the_practice_admins_may_edit_its_contacts(world, web, insurer):
    for purpose in ("sca_request", "appeals"):
        url = reverse("cases:insurer_contact_edit", args=[insurer.pk, purpose])
        for user in (world.staff, world.billing):
            browser = web(user)
            assert browser.get(url).status_code == 403
            assert browser.post(url, contact_post()).status_code == 403
        assert web(world.admin).get(url).status_code == 200
    assert not InsurerContact.objects.exists()


def test_unknown_contact_purpose_is_404(world, web, insurer):
    url = reverse("cases:insurer_contact_edit", args=[insurer.pk, "billing"])
    assert web(world.admin).get(url).status_code == 404
    assert web(world.admin).post(url, contact_post()).status_code == 404
    assert not InsurerContact.objects.exists()


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


@pytest.mark.parametrize("line", ["commercial", "medicaid"])
def test_insurer_detail_query_count_is_constant(world, web, insurer, line):
    browser = web(world.admin)
    url = reverse("cases:insurer_detail", args=[insurer.pk]) + f"?line={line}"
    current = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        line_of_business=line,
        effective_from=days(-10),
    )
    PolicyRateFactory(policy=current, billing_code=BillingCodeFactory(code="97151"))
    one = count_queries(browser, url)
    for n in range(2, 8):
        start = days(-100 * n)
        for line_of_business in ("commercial", "medicaid", "tricare"):
            past = RatePolicyFactory(
                practice=world.practice,
                insurer=insurer,
                line_of_business=line_of_business,
                effective_from=start,
                effective_to=start + dt.timedelta(days=50),
            )
            PolicyRateFactory(policy=past, billing_code=BillingCodeFactory(code="97151"))
        PolicyRateFactory(policy=current, billing_code=BillingCodeFactory(code=f"9715{n}"))
    # Another practice's policies and the practice's own contacts change nothing either.
    RatePolicyFactory(practice=world.other_practice, insurer=insurer, line_of_business=line)
    for purpose in ("sca_request", "appeals"):
        InsurerContact.objects.create(
            practice=world.practice, insurer=insurer, purpose=purpose, fax="518-555-0142"
        )
    assert count_queries(browser, url) == one
    page = browser.get(url)
    assert page.context["policy"] == current
    assert len(page.context["rates"]) == 7
    assert len(page.context["policies"]) == 19


def test_policy_history_query_count_is_constant(world, web, policy, aba_code):
    browser = web(world.admin)
    url = reverse("cases:policy_history", args=[policy.pk])
    rate = PolicyRateFactory(policy=policy, billing_code=aba_code)
    one = count_queries(browser, url)
    for cents in range(10, 16):
        rate_policy_update(
            policy=policy,
            actor=world.admin,
            rates=[
                {
                    "billing_code": rate.billing_code,
                    "modifier": "",
                    "highest_network_rate": Decimal(f"15.{cents}"),
                    "reference_rate": None,
                }
            ],
            data={"min_network_attempts": cents % 5},
        )
    assert count_queries(browser, url) == one


@pytest.mark.parametrize(
    "name, args",
    [("policy_create", [999999]), ("insurer_contact_edit", [999999, "sca_request"])],
    ids=["policy_create", "insurer_contact_edit"],
)
def test_unknown_insurer_edit_pages_are_404_for_admins(world, web, name, args):
    url = reverse(f"cases:{name}", args=args)
    assert web(world.admin).get(url).status_code == 404


def test_insurer_page_shows_the_protocols_windows_and_required_documents(world, web, policy):
    policy.retro_days, policy.continuity_days = 14, 60
    policy.required_attachments = ["assessment", "treatment_plan"]
    policy.required_provider_documents = ["w9"]
    policy.save()
    html = web(world.staff).get(reverse("cases:insurer_detail", args=[policy.insurer_id])).content
    text = html.decode()
    assert "or up to 14 days back" in text and "up to 60 days back" in text
    assert "Assessment, Treatment plan" in text and "W-9" in text
