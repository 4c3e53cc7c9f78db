"""The guided SCA request: a draft saved at each step, inline errors, the readiness review."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus, Client
from tests.factories import (
    BillingCodeFactory,
    ClientFactory,
    PracticeRateFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _future(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _past(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def setup(world, policy, aba_code):
    provider = ProviderFactory(practice=world.practice)
    return {"policy": policy, "code": aba_code, "provider": provider}


def test_guided_request_from_a_new_client_to_a_submitted_case(world, web, setup):
    browser = web(world.staff)
    insurer = setup["policy"].insurer
    # 1. a new client
    response = browser.post(
        reverse("cases:request_start"),
        {
            "mode": "new",
            "new-first_name": "Rosa",
            "new-last_name": "Delgado",
            "new-date_of_birth": "2019-05-02",
            "new-insurer": insurer.pk,
            "new-member_id": "EVG7788",
            "new-diagnosis_codes": "F84.0",
        },
    )
    client = Client.objects.get(last_name="Delgado", practice=world.practice)
    assert response.status_code == 302
    # The next step is addressed by the client's id (and the run's token), never by name.
    assert response["Location"].startswith(reverse("cases:request_start") + f"?client={client.pk}&")
    assert "Delgado" not in response["Location"]
    # 2. details: creates the draft
    response = browser.post(
        reverse("cases:request_start"),
        {
            "create_case": "1",
            "client_id": client.pk,
            "insurer": insurer.pk,
            "provider": setup["provider"].pk,
            "reason": "network_inadequacy",
            "initiated_by": "patient",
            "service_type": "aba",
            "planned_start_date": _future(20),
            "requested_start": _future(20),
            "requested_end": _future(200),
            "sessions_requested": "60",
            "clinical_justification": "No in-network BCBA within 40 miles.",
        },
    )
    case = Case.objects.get(client=client)
    assert case.status == CaseStatus.DRAFT
    assert response["Location"] == reverse("cases:request_step", args=[case.pk, "services"]) + (
        "?saved=1"
    )
    # 3. services
    step = reverse("cases:request_step", args=[case.pk, "services"])
    browser.post(
        step,
        {"svc-billing_code": setup["code"].pk, "svc-units": "400", "svc-unit_period": "total",
         "svc-requested_rate": "18.50"},
    )  # fmt: skip
    assert case.services.get().requested_rate == Decimal("18.50")
    # 4. three unsuccessful in-network attempts
    step = reverse("cases:request_step", args=[case.pk, "searches"])
    for i in range(3):
        browser.post(
            step,
            {"ns-provider_name": f"Clinic {i}", "ns-contacted_on": _past(5), "ns-method": "phone",
             "ns-outcome": "not_accepting"},
        )  # fmt: skip
    assert case.network_searches.count() == 3
    # 5. consent with the signed scan
    step = reverse("cases:request_step", args=[case.pk, "consent"])
    browser.post(
        step,
        {"consent-signer_name": "Ana Delgado", "consent-signer_relationship": "parent",
         "consent-signed_on": _past(1), "consent-method": "wet_signature",
         "consent-acknowledges_costs": "on",
         "consent-file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")},
    )  # fmt: skip
    assert case.consents.get().file
    # 6. review: ready, then submit
    review = browser.get(reverse("cases:request_step", args=[case.pk, "review"])).content.decode()
    assert "Ready to submit" in review
    response = browser.post(
        reverse("cases:action", args=[case.pk, "submit"]), {"submission_channel": "fax"}
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert response["Location"] == reverse("cases:detail", args=[case.pk])


def test_each_step_saves_the_draft(world, web, setup, ready_case):
    browser = web(world.staff)
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    page = browser.get(step)
    assert page.status_code == 200
    response = browser.post(
        step,
        {"version": ready_case.version, "insurer": ready_case.insurer_id,
         "reason": "continuity_of_care",
         "initiated_by": "patient", "service_type": "aba", "planned_start_date": _future(40),
         "requested_start": _future(40), "requested_end": _future(100),
         "clinical_justification": "Continuing care."},
    )  # fmt: skip
    assert response.status_code == 302
    ready_case.refresh_from_db()
    assert ready_case.reason == "continuity_of_care"
    assert ready_case.version == 2


def test_details_errors_are_shown_inline_with_htmx(world, web, setup, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    response = web(world.staff).post(
        step,
        {"version": ready_case.version, "insurer": ready_case.insurer_id, "reason": "nope",
         "initiated_by": "patient", "service_type": "aba"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    ready_case.refresh_from_db()
    assert ready_case.reason == "network_inadequacy"


def test_a_stale_version_is_refused_without_losing_the_other_edit(world, web, setup, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    Case.objects.filter(pk=ready_case.pk).update(version=5, clinical_justification="Theirs.")
    response = web(world.staff).post(
        step,
        {"version": 1, "insurer": ready_case.insurer_id, "reason": "network_inadequacy",
         "initiated_by": "patient", "service_type": "aba", "clinical_justification": "Mine."},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Someone changed this case meanwhile" in response.content.decode()
    ready_case.refresh_from_db()
    assert ready_case.clinical_justification == "Theirs."


def test_code_picker_offers_only_aba_codes_for_an_aba_case(world, web, setup, ready_case):
    BillingCodeFactory(code="90837", is_aba=False, short_description="Psychotherapy, 60 minutes")
    page = web(world.staff).get(reverse("cases:request_step", args=[ready_case.pk, "services"]))
    html = page.content.decode()
    assert "97153" in html
    assert "90837" not in html


def test_requested_rate_is_prefilled_from_the_fee_schedule(world, web, setup, ready_case):
    code = BillingCodeFactory(code="97155")
    PracticeRateFactory(practice=world.practice, billing_code=code, usual_rate=Decimal("31.25"))
    browser = web(world.staff)
    step = reverse("cases:request_step", args=[ready_case.pk, "services"])
    fragment = browser.get(step, {"rate_for": "1", "svc-billing_code": code.pk}).content.decode()
    assert 'value="31.25"' in fragment
    # Left blank, the saved service takes the usual rate too.
    browser.post(step, {"svc-billing_code": code.pk, "svc-units": "40", "svc-unit_period": "total"})
    assert ready_case.services.get(billing_code=code).requested_rate == Decimal("31.25")


def test_duplicate_code_is_refused_on_the_field(world, web, setup, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "services"])
    response = web(world.staff).post(
        step, {"svc-billing_code": setup["code"].pk, "svc-units": "10", "svc-unit_period": "total"}
    )
    assert response.status_code == 400
    assert "already requested" in response.content.decode()
    assert ready_case.services.count() == 1


def test_consent_scan_must_be_a_real_document(world, web, setup, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "consent"])
    response = web(world.staff).post(
        step,
        {"consent-signer_name": "Pat", "consent-signer_relationship": "parent",
         "consent-signed_on": _past(1), "consent-method": "wet_signature",
         "consent-file": SimpleUploadedFile("scan.pdf", b"MZ\\x90 not a pdf")},
    )  # fmt: skip
    assert response.status_code == 400
    assert ready_case.consents.count() == 0


def test_review_lists_what_is_missing_in_plain_words(world, web, setup):
    case = Case.objects.create(
        practice=world.practice,
        client=ClientFactory(practice=world.practice),
        insurer=setup["policy"].insurer,
        reason="network_inadequacy",
        created_by=world.staff,
    )
    html = web(world.staff).get(reverse("cases:request_step", args=[case.pk, "review"])).content
    html = html.decode()
    assert "Add at least one billing code" in html
    assert "Document at least" in html
    assert "disabled" in html  # the submit button waits for the fixes


def test_submitting_an_unready_case_returns_to_the_review(world, web, setup):
    case = Case.objects.create(
        practice=world.practice,
        client=ClientFactory(practice=world.practice),
        insurer=setup["policy"].insurer,
        reason="network_inadequacy",
        created_by=world.staff,
    )
    browser = web(world.staff)
    response = browser.post(reverse("cases:action", args=[case.pk, "submit"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:request_step", args=[case.pk, "review"])
    assert "Add at least one billing code" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_submitted_case_request_is_read_only(world, web, setup, ready_case):
    Case.objects.filter(pk=ready_case.pk).update(status="submitted", submitted_at=timezone.now())
    response = web(world.staff).get(reverse("cases:request_step", args=[ready_case.pk, "services"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[ready_case.pk])


def test_picking_another_practices_client_is_not_found(world, web, setup):
    theirs = ClientFactory(practice=world.other_practice)
    browser = web(world.staff)
    assert browser.get(reverse("cases:request_start"), {"client": theirs.pk}).status_code == 404
    response = browser.post(reverse("cases:request_start"), {"mode": "pick", "client": theirs.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_new_client_errors_name_the_field(world, web, setup):
    response = web(world.staff).post(
        reverse("cases:request_start"),
        {"mode": "new", "new-first_name": "Rosa", "new-last_name": "D",
         "new-date_of_birth": _future(3), "new-insurer": setup["policy"].insurer_id,
         "new-member_id": "X1", "new-diagnosis_codes": "F84.1"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "future" in html.lower()
    assert not Client.objects.filter(first_name="Rosa").exists()


def test_unknown_step_is_not_found(world, web, ready_case):
    url = f"/cases/{ready_case.pk}/request/nowhere/"
    assert web(world.staff).get(url).status_code == 404


def test_a_bad_version_is_a_clear_400(world, web, setup, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    for version in ("", "abc"):
        response = web(world.staff).post(
            step,
            {"version": version, "insurer": ready_case.insurer_id, "reason": "network_inadequacy",
             "initiated_by": "patient", "service_type": "aba"},
        )  # fmt: skip
        assert response.status_code == 400
        assert "version" in response.content.decode().lower()


def test_archived_client_cannot_start_a_request(world, web, setup):
    archived = ClientFactory(practice=world.practice, is_active=False)
    response = web(world.staff).get(reverse("cases:request_start"), {"client": archived.pk})
    assert response.status_code == 404


def test_the_code_picker_fetches_the_usual_rate(world, web, setup, ready_case):
    page = web(world.staff).get(reverse("cases:request_step", args=[ready_case.pk, "services"]))
    html = page.content.decode()
    start = html.index("<select", html.index('for="id_svc-billing_code"'))
    select = html[start : html.index(">", start)]
    assert "hx-get" in select and "rate_for" in select
