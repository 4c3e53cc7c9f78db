"""Documents: queued by the API, rendered by the task with WeasyPrint, read back with pypdf."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from cases.models import Document
from cases.services.documents import document_render
from cases.tasks import render_document
from core.pdf import BASE_URL, StaticOnlyFetcher
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    ConsentFactory,
    PracticeRateFactory,
)


def request_document(api, user, case, kind, capture, execute=True):
    with capture(execute=execute):
        response = api(user).post(
            f"/api/v1/cases/{case.pk}/documents/", {"kind": kind}, format="json"
        )
    return response


def pdf_text(api, user, document_id) -> tuple[str, int]:
    response = api(user).get(f"/api/v1/documents/{document_id}/download/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_request_letter_is_queued_rendered_and_says_what_the_insurer_needs(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    response = request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    document = Document.objects.get()
    status = api(world.staff).get(f"/api/v1/documents/{document.pk}/").json()
    assert status["status"] == "ready" and status["page_count"] >= 1 and len(status["sha256"]) == 64
    text, pages = pdf_text(api, world.staff, document.pk)
    flat = " ".join(text.split())
    case, client, provider = ready_case, ready_case.client, ready_case.provider
    for expected in (
        world.practice.name,
        world.practice.npi,
        "Tax ID 451234567",
        case.insurer.name,
        f"{client.first_name} {client.last_name}",
        client.member_id,
        "03/14/2019",
        provider.npi,
        "BCBA",
        "network inadequacy",
        "No in-network provider can start within 12 weeks",
        "97153",
        "$17.00",
        "480",
        "In-Network Clinic",
        "Not accepting new patients",
        "each billing code above with its agreed rate",
        world.practice.signatory_name,
        f"Page 1 of {pages}",
    ):
        assert expected in flat, expected
    assert document.size_bytes == len(document.file.read())
    assert ready_case.events.filter(kind="document_ready").count() == 1


def test_asking_again_while_queued_returns_the_same_document(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    first = request_document(
        api,
        world.staff,
        ready_case,
        "consent_form",
        django_capture_on_commit_callbacks,
        execute=False,
    )
    second = request_document(
        api,
        world.staff,
        ready_case,
        "consent_form",
        django_capture_on_commit_callbacks,
        execute=False,
    )
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Document.objects.count() == 1


def test_a_redelivered_task_does_not_render_twice(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    document = Document.objects.get()
    first_hash = document.sha256
    assert document_render(document_id=document.pk) is None
    document.refresh_from_db()
    assert document.sha256 == first_hash and document.attempts == 1
    assert ready_case.events.filter(kind="document_ready").count() == 1


def test_a_failure_marks_the_document_failed_with_a_readable_error(
    world, api, ready_case, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(template, context):
        raise RuntimeError(f"template blew up for {context['client'].last_name}")

    monkeypatch.setattr("core.pdf.render_pdf_document", broken)
    request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    document = Document.objects.get()
    assert document.status == "failed" and document.attempts == 1
    assert "RuntimeError" in document.error
    assert ready_case.client.last_name not in document.error  # no patient data in errors
    assert api(world.staff).get(f"/api/v1/documents/{document.pk}/download/").status_code == 409
    # a failed document does not block a new request
    assert (
        request_document(
            api,
            world.staff,
            ready_case,
            "request_letter",
            django_capture_on_commit_callbacks,
            execute=False,
        ).status_code
        == 202
    )


def test_a_transient_error_is_retried(
    world, api, ready_case, monkeypatch, django_capture_on_commit_callbacks
):
    from core import pdf

    real = pdf.render_pdf_document
    calls = {"n": 0}

    def flaky(template, context):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk busy")
        return real(template, context)

    monkeypatch.setattr("core.pdf.render_pdf_document", flaky)
    request_document(
        api,
        world.staff,
        ready_case,
        "consent_form",
        django_capture_on_commit_callbacks,
        execute=False,
    )
    document = Document.objects.get()
    result = render_document.apply(args=[document.pk], throw=False)
    assert result.get(propagate=False) == "ready"
    document.refresh_from_db()
    assert document.status == "ready" and document.attempts == 2


def test_consent_form_states_rule_8(world, api, ready_case, django_capture_on_commit_callbacks):
    ConsentFactory(case=ready_case, estimated_patient_cost=Decimal("325.50"))
    request_document(
        api, world.staff, ready_case, "consent_form", django_capture_on_commit_callbacks
    )
    text, _ = pdf_text(api, world.staff, Document.objects.get().pk)
    flat = " ".join(text.split())
    for expected in (
        "I was informed of the process",
        "It is not a guarantee of payment",
        "I may owe more than in-network cost sharing",
        "$325.50",
        "I permit information sharing",
        ready_case.insurer.name,
        ready_case.client.guardian_name,
        "Signature of client, parent or guardian",
    ):
        assert expected in flat, expected


def test_agreement_summary_lists_lines_total_and_flags(
    world, api, ready_case, aba_code, django_capture_on_commit_callbacks
):
    assert (
        request_document(
            api, world.staff, ready_case, "agreement_summary", django_capture_on_commit_callbacks
        ).status_code
        == 409
    )
    ready_case.status = "approved"
    from django.utils import timezone

    ready_case.submitted_at = timezone.now()
    ready_case.save()
    agreement = AgreementFactory(
        case=ready_case,
        authorization_number="AUTH-555",
        flags={"missing_codes": ["97155"], "below_floor": []},
    )
    AgreementLineFactory(
        agreement=agreement, billing_code=aba_code, rate=Decimal("15.00"), units_authorized=100
    )
    PracticeRateFactory(practice=world.practice, billing_code=aba_code)
    request_document(
        api, world.staff, ready_case, "agreement_summary", django_capture_on_commit_callbacks
    )
    text, _ = pdf_text(api, world.staff, Document.objects.get().pk)
    flat = " ".join(text.split())
    for expected in (
        "AUTH-555",
        "97153",
        "$15.00",
        "100",
        "$1,500.00",
        "Total value",
        "97155",
        "claims for them will be denied",
    ):
        assert expected in flat, expected


def test_template_values_are_escaped(world, api, ready_case, django_capture_on_commit_callbacks):
    client = ready_case.client
    client.last_name = '<img src="file:///etc/passwd">Smith'
    client.save()
    request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    text, _ = pdf_text(api, world.staff, Document.objects.get().pk)
    assert '<img src="file:///etc/passwd">Smith' in " ".join(text.split())


def test_the_url_fetcher_serves_only_static_files():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch(BASE_URL + "static/css/print.css")
    assert b"@page" in response.read()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        BASE_URL + "static/../../etc/passwd",
        BASE_URL + "media/x.pdf",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_documents_of_another_practice_are_404(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    document = Document.objects.get()
    other = api(world.other_staff)
    assert other.get(f"/api/v1/documents/{document.pk}/").status_code == 404
    assert other.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
    assert other.get(f"/api/v1/cases/{ready_case.pk}/documents/").status_code == 404
    assert (
        other.post(
            f"/api/v1/cases/{ready_case.pk}/documents/", {"kind": "consent_form"}, format="json"
        ).status_code
        == 404
    )
    assert other.get("/api/v1/documents/").json()["results"] == []
    assert api(None).get(f"/api/v1/documents/{document.pk}/download/").status_code == 401


def test_bad_kind_is_400(world, api, ready_case):
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/documents/", {"kind": "novel"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()
