"""Rate policies and insurer contacts belong to a practice (issue 13): every reader of "the
policy in force" follows the case's own practice and line of business, one practice's changes
never reach another's cases, nothing referenced is deleted, and the audit is scoped."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from pypdf import PdfReader

from cases.models import Document, InsurerContact, RatePolicy
from cases.selectors.readiness import case_readiness
from cases.selectors.reference import case_policy
from cases.services.appeals import case_deny
from cases.services.reference import (
    insurer_contact_create,
    insurer_update,
    rate_policy_revise,
    rate_policy_update,
)
from cases.services.submissions import case_submit
from negotiations.models import Agreement
from negotiations.selectors.offers import negotiation_summary
from tests.factories import (
    BillingCodeFactory,
    CaseFactory,
    ClientFactory,
    InsurerFactory,
    MembershipFactory,
    NetworkSearchFactory,
    PolicyRateFactory,
    RatePolicyFactory,
    RequestedServiceFactory,
    UserFactory,
)

TODAY = timezone.localdate


@pytest.fixture
def harbor(world):
    """Harbor's admin and billing manager (the world fixture has only its staff)."""
    admin = MembershipFactory(
        practice=world.other_practice,
        role="admin",
        user=UserFactory(username="other_admin", first_name="Omar", last_name="Other"),
    ).user
    billing = MembershipFactory(
        practice=world.other_practice, role="billing", user=UserFactory(username="other_billing")
    ).user
    return {"admin": admin, "billing": billing}


@pytest.fixture
def opposite(world, harbor, policy, aba_code):
    """One insurer, two practices, opposite policies: Bright Path negotiates (3 network
    attempts); Harbor was told the insurer pays its highest network rate (2 attempts)."""
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    fixed = RatePolicyFactory(
        practice=world.other_practice,
        insurer=policy.insurer,
        kind="highest_network_rate",
        min_network_attempts=2,
    )
    PolicyRateFactory(policy=fixed, billing_code=aba_code, highest_network_rate=Decimal("13.50"))
    return policy, fixed


def harbor_case(world, insurer, aba_code, *, searches=2):
    case = CaseFactory(practice=world.other_practice, insurer=insurer)
    RequestedServiceFactory(case=case, billing_code=aba_code, requested_rate=Decimal("17.00"))
    NetworkSearchFactory.create_batch(searches, case=case)
    return case


@pytest.fixture
def offer_body(aba_code):
    def make(party="insurer", rate="14.00"):
        return {
            "party": party,
            "received_on": TODAY().isoformat(),
            "channel": "phone",
            "lines": [{"billing_code": aba_code.pk, "modifier": "", "rate": rate, "units": 480}],
        }

    return make


def check(readiness, code):
    return next(c for c in readiness.checks if c.code == code)


def submitted(case):
    case_submit(case_id=case.pk, actor=None)
    case.refresh_from_db()
    return case


def letter_text(api, user, case, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(user).post(
            f"/api/v1/cases/{case.pk}/documents/", {"kind": "request_letter"}, format="json"
        )
    assert response.status_code == 202, response.content
    document = Document.objects.filter(case=case).latest("id")
    download = api(user).get(f"/api/v1/documents/{document.pk}/download/")
    assert download.status_code == 200
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# ----------------------------------------------------------------------------- following the case


def test_readiness_follows_the_case_practice(world, opposite, ready_case, aba_code):
    bright_policy, harbor_policy = opposite
    other = harbor_case(world, bright_policy.insurer, aba_code, searches=2)
    assert case_readiness(ready_case).policy == bright_policy
    harbor_readiness = case_readiness(other)
    assert harbor_readiness.policy == harbor_policy
    assert check(harbor_readiness, "network_search_incomplete").ok  # 2 of Harbor's 2
    # The same two attempts fall short of Bright Path's three.
    ready_case.network_searches.all()[0].delete()
    assert not check(case_readiness(ready_case), "network_search_incomplete").ok


def test_readiness_follows_the_client_line_of_business(world, policy, ready_case):
    medicaid = RatePolicyFactory(
        practice=world.practice,
        insurer=policy.insurer,
        line_of_business="medicaid",
        min_network_attempts=5,
    )
    assert case_readiness(ready_case).policy == policy
    ready_case.client.line_of_business = "medicaid"
    ready_case.client.save()
    ready_case.refresh_from_db()
    readiness = case_readiness(ready_case)
    assert readiness.policy == medicaid
    assert not check(readiness, "network_search_incomplete").ok


def test_submit_records_the_policy_and_later_changes_do_not_reach_the_case(
    world, policy, ready_case, aba_code
):
    case = submitted(ready_case)
    assert case.rate_policy == policy
    revised = rate_policy_revise(
        policy=policy,
        actor=world.admin,
        effective_from=TODAY(),
        reason="Insurer stopped negotiating",
        data={"kind": "highest_network_rate"},
    )
    assert case_policy(case) == policy  # what it was submitted under
    draft = CaseFactory(practice=world.practice, insurer=policy.insurer)
    assert case_policy(draft) == revised  # a draft reads today's


def test_negotiation_summary_and_counter_follow_the_case_practice(
    world, api, harbor, opposite, ready_case, aba_code, offer_body
):
    bright_policy, harbor_policy = opposite
    bright = submitted(ready_case)
    other = submitted(harbor_case(world, bright_policy.insurer, aba_code))
    assert other.rate_policy == harbor_policy
    assert negotiation_summary(bright)["negotiable"] is True
    summary = api(harbor["billing"]).get(f"/api/v1/cases/{other.pk}/negotiation/").json()
    assert summary["negotiable"] is False
    assert summary["policy"]["id"] == harbor_policy.pk
    assert summary["rows"][0]["policy_rate"] == "13.50"
    for case, user in ((bright, world.billing), (other, harbor["billing"])):
        response = api(user).post(f"/api/v1/cases/{case.pk}/offers/", offer_body(), format="json")
        assert response.status_code == 201, response.content
    counter = offer_body(party="practice", rate="16.00")
    ok = api(world.billing).post(f"/api/v1/cases/{bright.pk}/offers/", counter, format="json")
    assert ok.status_code == 201, ok.content
    refused = api(harbor["billing"]).post(
        f"/api/v1/cases/{other.pk}/offers/", counter, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "rate_not_negotiable"


def test_approval_pays_the_case_practice_policy_rate(world, api, harbor, opposite, aba_code):
    bright_policy, _harbor_policy = opposite
    other = submitted(harbor_case(world, bright_policy.insurer, aba_code))
    body = {
        "authorization_number": "AUTH-9",
        "start_date": other.requested_start.isoformat(),
        "end_date": other.requested_end.isoformat(),
    }
    response = api(harbor["billing"]).post(
        f"/api/v1/cases/{other.pk}/approve/", body, format="json"
    )
    assert response.status_code == 200, response.content
    # Harbor's policy pays the highest network rate it recorded, not Bright Path's 15.00.
    assert Agreement.objects.get(case=other).lines.get().rate == Decimal("13.50")


def test_dashboard_drafts_read_their_own_practice_policy(world, harbor, opposite, aba_code, web):
    bright_policy, harbor_policy = opposite
    other = harbor_case(world, bright_policy.insurer, aba_code, searches=2)
    other.created_by = harbor["admin"]
    other.save()
    page = web(harbor["admin"]).get("/")
    assert page.status_code == 200
    drafts = dict(page.context["drafts"])
    assert drafts[other].policy == harbor_policy
    assert check(drafts[other], "network_search_incomplete").ok


# ----------------------------------------------------------------------------- the letter


def test_letter_uses_the_practice_contact_before_the_directory(
    world, api, harbor, policy, ready_case, django_capture_on_commit_callbacks
):
    insurer = policy.insurer
    insurer.sca_fax, insurer.sca_email = "800-555-0102", "sca@directory.example"
    insurer.save()
    insurer_contact_create(
        actor=world.admin,
        practice=world.practice,
        insurer=insurer,
        data={"department": "Northeast SCA Unit", "fax": "518-555-0177"},
    )
    text = letter_text(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert "Northeast SCA Unit" in text and "Fax 518-555-0177" in text
    assert "800-555-0102" not in text
    assert "sca@directory.example" in text  # a field the practice left blank


def test_harbor_changing_its_contact_leaves_bright_path_letter_as_before(
    world, api, harbor, policy, ready_case, django_capture_on_commit_callbacks
):
    before = letter_text(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    response = api(harbor["admin"]).post(
        "/api/v1/insurer-contacts/",
        {
            "insurer": policy.insurer_id,
            "purpose": "sca_request",
            "department": "Harbor-only unit",
            "fax": "207-555-0999",
            "email": "harbor-only@evil.example",
            "address": "1 Elsewhere Road",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    after = letter_text(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert after == before
    for leaked in ("Harbor-only unit", "207-555-0999", "harbor-only@evil.example"):
        assert leaked not in after


# ----------------------------------------------------------------------------- the API


def test_policy_lists_cover_the_user_practices_only(world, api, harbor, opposite):
    bright_policy, harbor_policy = opposite
    ids = {p["id"] for p in api(world.billing).get("/api/v1/rate-policies/").json()["results"]}
    assert ids == {bright_policy.pk}
    ids = {p["id"] for p in api(harbor["admin"]).get("/api/v1/rate-policies/").json()["results"]}
    assert ids == {harbor_policy.pk}


def test_another_practice_policy_and_contact_are_404(world, api, harbor, opposite):
    bright_policy, _ = opposite
    contact = InsurerContact.objects.create(
        practice=world.practice, insurer=bright_policy.insurer, fax="518-555-0100"
    )
    other = api(harbor["admin"])
    for url in (
        f"/api/v1/rate-policies/{bright_policy.pk}/",
        f"/api/v1/insurer-contacts/{contact.pk}/",
    ):
        assert other.get(url).status_code == 404
        assert other.patch(url, {"notes": "x"}, format="json").status_code == 404
        assert other.delete(url).status_code == 404
    revise = other.post(
        f"/api/v1/rate-policies/{bright_policy.pk}/revise/",
        {"effective_from": TODAY().isoformat(), "reason": "x"},
        format="json",
    )
    assert revise.status_code == 404
    assert RatePolicy.objects.filter(pk=bright_policy.pk).exists()


def test_only_the_practice_admin_writes_its_policies(world, api, insurer):
    body = {"insurer": insurer.pk, "effective_from": "2030-01-01", "kind": "negotiable"}
    for user in (world.staff, world.billing):
        assert api(user).post("/api/v1/rate-policies/", body, format="json").status_code == 403
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["practice"] == world.practice.pk


def test_a_write_names_the_practice_when_the_user_belongs_to_several(world, api, insurer):
    MembershipFactory(practice=world.other_practice, role="staff", user=world.admin)
    body = {"insurer": insurer.pk, "effective_from": "2030-01-01", "kind": "negotiable"}
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 400 and "practice" in response.json()
    # Named, but the user is only staff there.
    elsewhere = {**body, "practice": world.other_practice.pk}
    assert (
        api(world.admin).post("/api/v1/rate-policies/", elsewhere, format="json").status_code == 403
    )
    here = {**body, "practice": world.practice.pk}
    assert api(world.admin).post("/api/v1/rate-policies/", here, format="json").status_code == 201


def test_a_policy_rate_for_a_code_not_in_the_catalog_is_400(world, api, insurer):
    body = {
        "insurer": insurer.pk,
        "effective_from": "2030-01-01",
        "kind": "negotiable",
        "rates": [{"billing_code": 999999, "modifier": "", "highest_network_rate": "15.00"}],
    }
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 400
    assert "rates" in response.json()
    assert not RatePolicy.objects.filter(insurer=insurer).exists()


def test_policy_source_fields_round_trip(world, api, insurer):
    body = {
        "insurer": insurer.pk,
        "effective_from": "2030-01-01",
        "kind": "highest_network_rate",
        "line_of_business": "tricare",
        "confirmed_with": "J. Ortiz, provider relations",
        "confirmed_on": "2026-11-20",
        "reference": "CALL-20431",
    }
    data = api(world.admin).post("/api/v1/rate-policies/", body, format="json").json()
    for key in ("line_of_business", "confirmed_with", "confirmed_on", "reference"):
        assert data[key] == body[key]


def test_used_policy_delete_is_409_in_use_and_it_still_exists(world, api, policy, ready_case):
    submitted(ready_case)
    response = api(world.admin).delete(f"/api/v1/rate-policies/{policy.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert RatePolicy.objects.filter(pk=policy.pk).exists()
    # Ending it is how it stops applying.
    end = {"effective_to": TODAY().isoformat()}
    ended = api(world.admin).patch(f"/api/v1/rate-policies/{policy.pk}/", end, format="json")
    assert ended.status_code == 200, ended.content


def test_unused_policy_may_be_deleted(world, api, policy):
    assert api(world.admin).delete(f"/api/v1/rate-policies/{policy.pk}/").status_code == 204
    assert not RatePolicy.objects.filter(pk=policy.pk).exists()


def test_revise_ends_the_policy_the_day_before_and_carries_the_rates(world, api, policy, aba_code):
    PolicyRateFactory(policy=policy, billing_code=aba_code, highest_network_rate=Decimal("15.00"))
    change_on = TODAY() + dt.timedelta(days=10)
    response = api(world.admin).post(
        f"/api/v1/rate-policies/{policy.pk}/revise/",
        {
            "effective_from": change_on.isoformat(),
            "reason": "New contract year",
            "kind": "highest_network_rate",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    new = RatePolicy.objects.get(pk=response.json()["id"])
    policy.refresh_from_db()
    assert policy.effective_to == change_on - dt.timedelta(days=1)
    assert (new.effective_from, new.effective_to, new.kind) == (
        change_on,
        None,
        "highest_network_rate",
    )
    assert new.practice_id == world.practice.pk
    assert new.min_network_attempts == policy.min_network_attempts
    assert new.rates.get().highest_network_rate == Decimal("15.00")
    assert policy.history.first().history_change_reason == "Ended: New contract year"
    assert new.history.first().history_change_reason == "New contract year"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x"}, "effective_from"),
        ({"effective_from": "2000-01-01", "reason": "x"}, "effective_from"),
        ({"effective_from": "2099-01-01", "reason": "  "}, "reason"),
    ],
)
def test_revise_refusals_name_the_field_and_change_nothing(world, api, policy, body, field):
    response = api(world.admin).post(
        f"/api/v1/rate-policies/{policy.pk}/revise/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert RatePolicy.objects.filter(insurer=policy.insurer).count() == 1
    policy.refresh_from_db()
    assert policy.effective_to is None


# ----------------------------------------------------------------------------- contacts


@pytest.mark.parametrize(
    ("body", "field"),
    [({"fax": "not a fax"}, "fax"), ({"email": "nope"}, "email"), ({"purpose": "x"}, "purpose")],
)
def test_contact_with_an_invalid_value_is_400_naming_the_field(world, api, insurer, body, field):
    response = api(world.admin).post(
        "/api/v1/insurer-contacts/", {"insurer": insurer.pk, **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not InsurerContact.objects.exists()


def test_one_contact_per_practice_insurer_and_purpose(world, api, insurer):
    body = {"insurer": insurer.pk, "purpose": "appeals", "fax": "518-555-0100"}
    assert (
        api(world.admin).post("/api/v1/insurer-contacts/", body, format="json").status_code == 201
    )
    again = api(world.admin).post("/api/v1/insurer-contacts/", body, format="json")
    assert again.status_code == 400
    assert InsurerContact.objects.count() == 1


def test_contacts_are_read_by_the_practice_and_written_by_its_admin(world, api, insurer):
    body = {"insurer": insurer.pk, "fax": "518-555-0100"}
    for user in (world.staff, world.billing):
        assert api(user).post("/api/v1/insurer-contacts/", body, format="json").status_code == 403
    contact = api(world.admin).post("/api/v1/insurer-contacts/", body, format="json").json()
    url = f"/api/v1/insurer-contacts/{contact['id']}/"
    assert api(world.staff).get(url).status_code == 200
    assert api(world.billing).patch(url, {"fax": "518-555-0111"}, format="json").status_code == 403
    assert api(world.other_staff).get(url).status_code == 404
    assert api(world.other_staff).get("/api/v1/insurer-contacts/").json()["results"] == []


# ----------------------------------------------------------------------------- archived insurers


def test_archived_insurer_keeps_existing_clients_and_cases_editable(world, api, ready_case):
    insurer = ready_case.insurer
    insurer.is_active = False
    insurer.save()
    client = ready_case.client
    response = api(world.staff).patch(
        f"/api/v1/clients/{client.pk}/",
        {"phone": "518-555-0123", "insurer": insurer.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/",
        {
            "version": ready_case.version,
            "clinical_justification": "Updated.",
            "insurer": insurer.pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.content


def test_a_new_case_on_an_archived_insurer_is_400_insurer_archived(world, api, ready_case):
    insurer = ready_case.insurer
    insurer.is_active = False
    insurer.save()
    body = {"client": ready_case.client_id, "insurer": insurer.pk, "reason": "network_inadequacy"}
    response = api(world.staff).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "insurer_archived"


def test_a_client_cannot_be_given_an_archived_insurer(world, api):
    archived = InsurerFactory(is_active=False)
    client = ClientFactory(practice=world.practice)
    response = api(world.staff).patch(
        f"/api/v1/clients/{client.pk}/", {"insurer": archived.pk}, format="json"
    )
    assert response.status_code == 400
    assert "insurer" in response.json()


def test_a_renewal_on_an_archived_insurer_is_400(world, api, ready_case):
    submitted(ready_case)
    case_deny(
        case_id=ready_case.pk,
        actor=world.staff,
        reason="Network adequate.",
        reason_category="in_network_available",
    )
    ready_case.insurer.is_active = False
    ready_case.insurer.save()
    response = api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "insurer_archived"
    assert not ready_case.renewals.exists()


# ----------------------------------------------------------------------------- audit


def operator(username="site_operator"):
    user = UserFactory(username=username, is_staff=True, first_name="Opal", last_name="Operator")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_insurer", "change_billingcode"])
    )
    return user


def test_directory_and_catalog_history_is_for_operators(world, api):
    ops = operator()
    insurer = InsurerFactory()
    insurer_update(insurer=insurer, actor=ops, data={"sca_fax": "800-555-0199"})
    code = BillingCodeFactory(code="97155")
    response = api(ops).patch(f"/api/v1/billing-codes/{code.pk}/", {"is_aba": False}, format="json")
    assert response.status_code == 200, response.content
    rows = api(ops).get("/api/v1/audit/changes/?model=insurer").json()["results"]
    change = next(r for r in rows if r["action"] == "changed")
    assert change["user_name"] == "Opal Operator"
    assert {"field": "sca_fax", "old": "800-555-0102", "new": "800-555-0199"} in change["changes"]
    rows = api(ops).get("/api/v1/audit/changes/?model=billing_code").json()["results"]
    assert rows[0]["object_id"] == code.pk and rows[0]["user"] == "site_operator"
    for model in ("insurer", "billing_code"):
        response = api(world.admin).get(f"/api/v1/audit/changes/?model={model}")
        assert response.status_code == 403
    # Operators read no practice's records through the audit.
    assert api(ops).get("/api/v1/audit/changes/?model=case").status_code == 403


def test_policy_history_is_the_practice_own(world, api, harbor, opposite, aba_code):
    world.admin.first_name, world.admin.last_name = "Ada", "Admin"
    world.admin.save()
    bright_policy, harbor_policy = opposite
    rate_policy_update(policy=bright_policy, actor=world.admin, data={"protocol_notes": "Call"})
    rate_policy_update(
        policy=harbor_policy,
        actor=harbor["admin"],
        rates=[{"billing_code": aba_code, "modifier": "", "highest_network_rate": Decimal("14")}],
        data={},
    )
    for model, mine, theirs in (
        ("rate_policy", bright_policy.pk, harbor_policy.pk),
        ("policy_rate", bright_policy.rates.get().pk, harbor_policy.rates.get().pk),
    ):
        rows = api(world.admin).get(f"/api/v1/audit/changes/?model={model}").json()["results"]
        assert {r["object_id"] for r in rows} == {mine}, model
        rows = api(harbor["admin"]).get(f"/api/v1/audit/changes/?model={model}").json()["results"]
        assert {r["object_id"] for r in rows} == {theirs}, model
    rows = api(world.admin).get("/api/v1/audit/changes/?model=rate_policy").json()["results"]
    assert any(r["user_name"] == "Ada Admin" for r in rows)


def test_contact_history_is_the_practice_own(world, api, harbor, insurer):
    insurer_contact_create(
        actor=harbor["admin"],
        practice=world.other_practice,
        insurer=insurer,
        data={"fax": "207-555-0100"},
    )
    rows = api(world.admin).get("/api/v1/audit/changes/?model=insurer_contact").json()["results"]
    assert rows == []
    rows = api(harbor["admin"]).get("/api/v1/audit/changes/?model=insurer_contact").json()
    assert rows["results"][0]["user_name"] == "Omar Other"


def test_terms_of_a_used_policy_are_kept_and_it_may_only_be_ended(world, api, policy, ready_case):
    rate = PolicyRateFactory(policy=policy, billing_code=ready_case.services.get().billing_code)
    submitted(ready_case)
    url = f"/api/v1/rate-policies/{policy.pk}/"
    for body in (
        {"kind": "highest_network_rate"},
        {"line_of_business": "medicaid"},
        {"rates": [{"billing_code": rate.billing_code_id, "highest_network_rate": "99.00"}]},
    ):
        response = api(world.admin).patch(url, body, format="json")
        assert response.status_code == 409, (body, response.content)
        assert response.json()["code"] == "in_use"
    policy.refresh_from_db()
    assert policy.kind == "negotiable" and policy.line_of_business == "commercial"
    assert policy.rates.get().highest_network_rate == Decimal("15.00")
    # Where the terms came from may still be recorded.
    body = {
        "confirmed_with": "R. Diaz",
        "effective_to": (TODAY() + dt.timedelta(days=5)).isoformat(),
    }
    assert api(world.admin).patch(url, body, format="json").status_code == 200


def test_a_revision_reason_longer_than_the_history_keeps_is_400_on_reason(world, api, policy):
    response = api(world.admin).post(
        f"/api/v1/rate-policies/{policy.pk}/revise/",
        {"effective_from": (TODAY() + dt.timedelta(days=3)).isoformat(), "reason": "x" * 91},
        format="json",
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    policy.refresh_from_db()
    assert policy.effective_to is None


def test_rate_changes_are_audited_for_a_policy_without_history_rows(world, api, policy, aba_code):
    # Policies written in bulk (seed_scale) or by migrations may have no history row.
    RatePolicy.history.filter(id=policy.pk).delete()
    rate_policy_update(
        policy=policy,
        actor=world.admin,
        rates=[{"billing_code": aba_code, "modifier": "", "highest_network_rate": Decimal("14")}],
        data={},
    )
    rows = api(world.admin).get("/api/v1/audit/changes/?model=policy_rate").json()["results"]
    assert [r["action"] for r in rows] == ["created"]
    assert api(world.other_staff).get("/api/v1/audit/changes/?model=policy_rate").status_code == 403
