"""The client page (issue 16): every SCA of a client with its status, insurer and period, each
agreement's use per code, the cases' documents, consents and attachments, and a new request
for the client; scoped to the user's practices, logged, and read in constant statements."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Document
from negotiations.models import UtilizationEntry
from tests.factories import (
    ONE_PAGE_PDF,
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    InsurerFactory,
)

pytestmark = pytest.mark.django_db

STATEMENT_BUDGET = 12  # the "Speed": at most 12, plus the access log's write


def page_url(client) -> str:
    return reverse("negotiations:client_page", kwargs={"pk": client.pk})


def approved_with_use(world, client, code, *, units_used=33, authorized=40):
    """An approved case of ``client`` whose agreement authorizes ``authorized`` units of
    ``code``, ``units_used`` of them used, with a ready letter, a consent and an attachment."""
    now, today = timezone.now(), timezone.localdate()
    case = CaseFactory(
        practice=world.practice, client=client, insurer=client.insurer, status="approved",
        submitted_at=now - dt.timedelta(days=40), decided_at=now - dt.timedelta(days=30),
    )  # fmt: skip
    agreement = AgreementFactory(
        case=case,
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=150),
    )
    AgreementLineFactory(agreement=agreement, billing_code=code, units_authorized=authorized)
    UtilizationEntry.objects.create(
        agreement=agreement, billing_code=code, units=units_used, service_date=today
    )
    Document.objects.create(
        case=case, kind="request_letter", status="ready",
        sha256=hashlib.sha256(ONE_PAGE_PDF).hexdigest(), page_count=1,
        size_bytes=len(ONE_PAGE_PDF), file=ContentFile(ONE_PAGE_PDF, name="letter.pdf"),
    )  # fmt: skip
    ConsentFactory(case=case, signer_name="Pat Consenting")
    CaseAttachmentFactory(case=case, title="Treatment plan 2026")
    return case, agreement


@pytest.fixture
def code(db):
    return BillingCodeFactory(code="97153", short_description="Adaptive behavior treatment")


@pytest.fixture
def client_with_cases(world, code):
    insurer = InsurerFactory(name="Evergreen Health Plan")
    client = ClientFactory(practice=world.practice, insurer=insurer, first_name="Ava")
    draft = CaseFactory(practice=world.practice, client=client, insurer=insurer)
    approved, agreement = approved_with_use(world, client, code)
    return client, draft, approved, agreement


def test_client_page_lists_every_case_with_status_insurer_and_period(world, web, client_with_cases):
    client, draft, approved, agreement = client_with_cases
    response = web(world.staff).get(page_url(client))
    assert response.status_code == 200
    html = response.content.decode()
    rows = response.context["page"].cases
    assert [row.case.pk for row in rows] == [approved.pk, draft.pk]  # newest first
    for case in (draft, approved):
        assert f'href="{reverse("cases:detail", args=[case.pk])}"' in html
    assert "Draft" in html and "Approved" in html
    assert "Evergreen Health Plan" in html
    # The agreed period for the approved case, the requested one for the draft.
    assert agreement.start_date.strftime("%b %-d, %Y") in html
    assert draft.requested_end.strftime("%b %-d, %Y") in html


def test_client_page_shows_the_demographics_header_and_edit_link(world, web, client_with_cases):
    client = client_with_cases[0]
    html = web(world.staff).get(page_url(client)).content.decode()
    assert f"{client.first_name} {client.last_name}" in html
    assert client.date_of_birth.strftime("%m/%d/%Y") in html
    assert client.member_id in html
    assert reverse("cases:client_edit", args=[client.pk]) in html
    # No name in the title: it lands in the browser's history.
    assert "<title>Client · SCA Portal</title>" in html


def test_client_page_shows_agreement_usage_per_code(world, web, client_with_cases):
    client, _draft, _approved, agreement = client_with_cases
    response = web(world.staff).get(page_url(client))
    html = response.content.decode()
    (row,) = response.context["page"].agreements
    (line,) = row.lines
    assert (line["code"], line["units_used"], line["units_authorized"]) == ("97153", 33, 40)
    assert line["percent_used"] == Decimal("82.50")
    assert agreement.authorization_number in html
    assert "33 / 40 units · 82.5%" in html
    assert "Adaptive behavior treatment" in html


def test_client_page_marks_a_code_used_past_its_authorization(world, web, code):
    client = ClientFactory(practice=world.practice)
    approved_with_use(world, client, code, units_used=50, authorized=40)
    html = web(world.staff).get(page_url(client)).content.decode()
    assert "50 / 40 units · 125.0%" in html
    assert '<span class="badge badge-bad">over</span>' in html


def test_client_page_shows_documents_consents_and_attachments(world, web, client_with_cases):
    client, _draft, approved, _agreement = client_with_cases
    response = web(world.staff).get(page_url(client))
    html = response.content.decode()
    document = approved.documents.get()
    attachment = approved.attachments.get()
    consent = approved.consents.get()
    assert "SCA request letter" in html and "Ready" in html
    assert reverse("cases:document_download", args=[document.pk]) in html
    assert "Treatment plan 2026" in html
    assert reverse("cases:attachment_download", args=[attachment.pk]) in html
    assert "Pat Consenting" in html
    assert response.context["page"].consents == [consent]


def test_client_page_leaves_out_archived_attachments(world, web, client_with_cases):
    client, _draft, approved, _agreement = client_with_cases
    approved.attachments.update(archived_at=timezone.now())
    html = web(world.staff).get(page_url(client)).content.decode()
    assert "Treatment plan 2026" not in html
    assert "No attachments yet." in html


def test_client_page_new_request_link_carries_the_client(world, web, client_with_cases):
    client = client_with_cases[0]
    html = web(world.staff).get(page_url(client)).content.decode()
    link = f"{reverse('cases:request_start')}?client={client.pk}"
    assert f'href="{link}">New SCA request for this client</a>' in html
    # The link lands on the request's details step with the client chosen.
    step = web(world.staff).get(link, follow=True)  # (a form token may be added on the way)
    assert step.status_code == 200
    assert step.context["client"] == client


def test_client_page_of_another_practice_is_not_found(world, web, client_with_cases):
    client = client_with_cases[0]
    assert web(world.other_staff).get(page_url(client)).status_code == 404
    assert web(world.staff).get("/clients/999999999/").status_code == 404


def test_client_page_needs_a_signed_in_member(world, web, client_with_cases):
    client = client_with_cases[0]
    response = web().get(page_url(client))
    assert response.status_code == 302 and "login" in response["Location"]


def test_archived_client_page_still_shows_with_a_note(world, web, client_with_cases):
    client = client_with_cases[0]
    client.is_active = False
    client.save(update_fields=["is_active"])
    response = web(world.staff).get(page_url(client))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This client is archived" in html
    assert len(response.context["page"].cases) == 2


def test_client_without_cases_shows_empty_sections(world, web):
    client = ClientFactory(practice=world.practice)
    html = web(world.staff).get(page_url(client)).content.decode()
    assert "No SCA requests yet for this client." in html
    assert "No agreement yet" in html and "No documents generated yet." in html


def test_client_page_logs_the_client_and_every_case_shown(world, web, client_with_cases):
    client, draft, approved, _agreement = client_with_cases
    other_client_case = CaseFactory(practice=world.practice)  # not this client's: not logged
    last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert web(world.staff).get(page_url(client)).status_code == 200
    (entry,) = AccessLog.objects.filter(id__gt=last)
    assert (entry.route, entry.action, entry.user_id) == (
        "negotiations:client_page",
        "view_client",
        world.staff.pk,
    )
    logged = set(entry.subjects.values_list("client_id", "case_id"))
    assert logged == {(client.pk, None), (client.pk, draft.pk), (client.pk, approved.pk)}
    assert other_client_case.pk not in {case_id for _c, case_id in logged}


def test_client_page_without_cases_logs_the_client(world, web):
    client = ClientFactory(practice=world.practice)
    last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    web(world.staff).get(page_url(client))
    (entry,) = AccessLog.objects.filter(id__gt=last)
    assert set(entry.subjects.values_list("client_id", "case_id")) == {(client.pk, None)}


def _page_statements(browser, client) -> tuple[int, list[str]]:
    """The statements of one request, less the access log's write (its inserts and the
    transaction or savepoint around them)."""
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(page_url(client)).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    log_write = [
        s for s in sql if "cases_accesslog" in s or s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    return len(sql) - len(log_write), sql


def test_client_page_statement_count_is_constant_in_the_cases(world, web, code):
    client = ClientFactory(practice=world.practice)
    approved_with_use(world, client, code)
    browser = web(world.billing)
    browser.get(page_url(client))  # warm the session and caches alike
    one, one_sql = _page_statements(browser, client)
    for _ in range(9):
        approved_with_use(world, client, code)
    CaseFactory(practice=world.practice, client=client, insurer=client.insurer)
    ten, ten_sql = _page_statements(browser, client)
    assert one <= STATEMENT_BUDGET, one_sql
    assert ten == one, ten_sql
    assert len(ten_sql) == len(one_sql), "the access log's write grew with the cases"
