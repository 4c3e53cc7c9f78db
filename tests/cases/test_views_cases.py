"""The case list, its export, the workspace, lifecycle actions and documents in the browser."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from cases.models import AccessLog, Case, CaseStatus, Document
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from cases.services.submissions import case_submit
from tests.factories import (
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    NetworkSearchFactory,
    ProviderFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.django_db


def _case(world, **kw):
    return CaseFactory(practice=world.practice, created_by=world.staff, **kw)


def test_case_list_shows_only_the_current_practice(world, web):
    mine = _case(world)
    theirs = CaseFactory(practice=world.other_practice)
    page = web(world.staff).get(reverse("cases:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"SCA #{mine.pk}<" in html
    assert f"SCA #{theirs.pk}<" not in html


def test_anonymous_is_sent_to_sign_in(db, client):
    page = client.get(reverse("cases:list"))
    assert page.status_code == 302
    assert page["Location"].startswith("/login/")


def test_search_is_posted_so_patient_data_never_is_in_a_url(world, web):
    wanted = _case(world, client=ClientFactory(practice=world.practice, last_name="Quintero"))
    other = _case(world, client=ClientFactory(practice=world.practice, last_name="Abbott"))
    browser = web(world.staff)
    page = browser.post(reverse("cases:list"), {"q": "quint"})
    html = page.content.decode()
    assert f"SCA #{wanted.pk}<" in html
    assert f"SCA #{other.pk}<" not in html
    # Links and the form never carry the search text.
    assert "quint" not in "".join(
        part for part in html.split('"') if part.startswith(("/", "?", "http"))
    )
    # And a search in a query string is ignored rather than honoured.
    page = browser.get(reverse("cases:list") + "?q=quint")
    assert f"SCA #{other.pk}<" in page.content.decode()


def test_case_list_filters_by_status_and_insurer(world, web):
    draft = _case(world)
    submitted = _case(world, status="submitted", submitted_at="2026-01-05T10:00:00Z")
    browser = web(world.staff)
    html = browser.get(reverse("cases:list") + "?status=submitted").content.decode()
    assert f"SCA #{submitted.pk}<" in html and f"SCA #{draft.pk}<" not in html
    html = browser.post(reverse("cases:list"), {"insurer": draft.insurer_id}).content.decode()
    assert f"SCA #{draft.pk}<" in html and f"SCA #{submitted.pk}<" not in html


def test_case_list_bad_filter_is_a_clear_400(world, web):
    page = web(world.staff).post(reverse("cases:list"), {"status": "lost", "insurer": "x"})
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()


def test_case_list_pages_without_counting(world, web):
    cases = [_case(world) for _ in range(27)]
    browser = web(world.staff)
    first = browser.get(reverse("cases:list")).content.decode()
    assert 'name="page" value="2"' in first
    second = browser.post(reverse("cases:list"), {"page": 2}).content.decode()
    shown = [c for c in cases if f"SCA #{c.pk}<" in second]
    assert len(shown) == 2  # newest first: the two oldest are on page 2
    assert 'name="page" value="3"' not in second


def _queries(browser, url) -> int:
    browser.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx)


def test_filter_selects_read_their_choices_in_one_plain_query(world):
    """Django reads choices with .iterator(), a server-side cursor on PostgreSQL: three round
    trips (DECLARE, FETCH, CLOSE) per select."""
    from cases.forms.case import CaseFilterForm

    ProviderFactory(practice=world.practice)
    form = CaseFilterForm({}, practice_id=world.practice.pk)
    for name in ("insurer", "provider", "assigned_to"):
        with CaptureQueriesContext(connection) as ctx:
            html = str(form[name])
        assert len(ctx.captured_queries) == 1, name
        assert "DECLARE" not in ctx.captured_queries[0]["sql"], name
        assert "<option" in html


@pytest.mark.parametrize("value", [None, "", "submitted"])
def test_fast_select_renders_what_djangos_select_renders(world, value):
    """cases.forms.Select builds the options in Python; the markup must not change."""
    import re

    from django import forms

    from cases.forms.case import CaseFilterForm
    from cases.forms.common import Select

    ProviderFactory(practice=world.practice)
    form = CaseFilterForm({"status": value} if value is not None else {},
                          practice_id=world.practice.pk)  # fmt: skip
    form.is_valid()
    hostile = [("<g'\"&>", [("a<\"'&>", "A & B <b>")]), ("c", 'C "quoted"')]
    grouped = forms.Select(choices=hostile)
    attrs = {"required": True, "aria-describedby": 'x"><script>', "hidden": False}
    ours = Select(choices=grouped.choices, attrs=attrs)
    cases = [(ours, forms.Select(choices=grouped.choices, attrs=ours.attrs), "a<\"'&>")]
    for name in ("status", "insurer", "provider", "assigned_to", "reason", "sort"):
        field = form[name]
        assert isinstance(field.field.widget, Select), name
        django = forms.Select(choices=field.field.choices, attrs=field.field.widget.attrs)
        cases.append((field.field.widget, django, field.value()))
    squeeze = lambda html: re.sub(r">\s+<", "><", str(html)).strip()  # noqa: E731
    for fast, reference, current in cases:
        assert squeeze(fast.render("f", current, {"id": "id_f"})) == squeeze(
            reference.render("f", current, {"id": "id_f"})
        )
    assert 'value="submitted" selected' in str(form["status"]) or value != "submitted"
    hostile_html = str(ours.render("f", "a<\"'&>", {"id": "id_f"}))
    assert "<script>" not in hostile_html and "<b>" not in hostile_html
    assert 'value="a&lt;&quot;&#x27;&amp;&gt;" selected' in hostile_html


def test_case_list_query_count_is_constant(world, web):
    browser = web(world.staff)
    _case(world)
    one = _queries(browser, reverse("cases:list"))
    for _ in range(49):
        _case(world, assigned_to=world.billing)
    assert _queries(browser, reverse("cases:list")) == one


def test_csv_export_holds_the_filtered_cases(world, web):
    submitted = _case(world, status="submitted", submitted_at="2026-01-05T10:00:00Z")
    draft = _case(world)
    response = web(world.staff).post(reverse("cases:export"), {"status": "submitted"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "case"
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == [submitted.pk]
    assert draft.pk not in ids
    assert rows[1][5] == "Submitted"


def test_another_practices_case_is_not_found(world, web):
    theirs = CaseFactory(practice=world.other_practice)
    browser = web(world.staff)
    assert browser.get(reverse("cases:detail", args=[theirs.pk])).status_code == 404
    assert (
        browser.get(reverse("cases:request_step", args=[theirs.pk, "details"])).status_code == 404
    )
    response = browser.post(reverse("cases:action", args=[theirs.pk, "withdraw"]), {"reason": "x"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CaseStatus.DRAFT


def test_huge_ids_are_not_found_rather_than_errors(world, web):
    assert web(world.staff).get("/cases/99999999999/").status_code == 404


def test_workspace_shows_readiness_and_records_the_access(world, web, ready_case):
    page = web(world.staff).get(reverse("cases:detail", args=[ready_case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ready to submit" in html
    assert AccessLog.objects.filter(case=ready_case, action="view_case").count() == 1


def test_workspace_offers_only_the_actions_status_and_role_allow(world, web, ready_case):
    ready_case.status = "submitted"
    ready_case.submitted_at = "2026-01-05T10:00:00Z"
    ready_case.save()
    staff_html = web(world.staff).get(reverse("cases:detail", args=[ready_case.pk])).content
    # The denial has its own form (category, date, wording); withdrawing keeps its reason.
    assert b'id="record-denial"' in staff_html and b"Record denial" in staff_html
    assert b'name="deny-reason_category"' in staff_html and b"Withdraw" in staff_html
    assert b"Record offer" not in staff_html  # offers are for billing
    assert b"Renew" not in staff_html  # renewal only once decided
    billing_html = web(world.billing).get(reverse("cases:detail", args=[ready_case.pk])).content
    assert b"Record offer" in billing_html


def test_workspace_query_count_is_constant(world, web, ready_case):
    browser = web(world.billing)
    url = reverse("cases:detail", args=[ready_case.pk])
    one = _queries(browser, url)
    for i, modifier in enumerate(["HN", "HO", "HM", "U1", "U2", "U3", "U4", "U5"]):
        NetworkSearchFactory(case=ready_case)
        ConsentFactory(case=ready_case, signer_name=f"Signer {i}")
        RequestedServiceFactory(case=ready_case, modifier=modifier)
    assert _queries(browser, url) == one


@pytest.mark.parametrize("status", ["denied", "appealed"])
def test_workspace_query_count_is_constant_for_denied_and_appealed_cases(
    world, web, ready_case, status
):
    """The Denial card reads the levels in one query (and a denied case's policy), however
    many levels, attachments and parts."""
    case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")
    case_deny(
        case_id=ready_case.pk, actor=world.staff, reason="Not medically necessary.",
        reason_category="not_medically_necessary",
    )  # fmt: skip

    def file_and_uphold(level):
        appeal, _warnings = appeal_file(case_id=ready_case.pk, actor=world.billing, level=level)
        if status == "denied":
            appeal_decide(
                case_id=ready_case.pk, appeal_id=appeal.pk, actor=world.billing, outcome="upheld"
            )

    file_and_uphold("internal_1")
    browser = web(world.billing)
    url = reverse("cases:detail", args=[ready_case.pk])
    one = _queries(browser, url)
    if status == "denied":
        file_and_uphold("internal_2")
    for i, modifier in enumerate(["HN", "HO", "HM", "U1", "U2", "U3"]):
        NetworkSearchFactory(case=ready_case)
        ConsentFactory(case=ready_case, signer_name=f"Signer {i}")
        RequestedServiceFactory(case=ready_case, modifier=modifier)
        CaseAttachmentFactory(case=ready_case, kind="authorized_representative")
    assert _queries(browser, url) == one


def test_withdraw_needs_a_reason(world, web, ready_case):
    browser = web(world.staff)
    url = reverse("cases:action", args=[ready_case.pk, "withdraw"])
    page = browser.post(url, {"reason": ""}, follow=True)
    assert "Give the reason" in page.content.decode() or "reason" in page.content.decode().lower()
    ready_case.refresh_from_db()
    assert ready_case.status == CaseStatus.DRAFT
    browser.post(url, {"reason": "The family moved out of state."})
    ready_case.refresh_from_db()
    assert ready_case.status == CaseStatus.WITHDRAWN


def test_unknown_action_is_not_found(world, web, ready_case):
    url = reverse("cases:action", args=[ready_case.pk, "approve"])
    assert web(world.staff).post(url).status_code == 404


def test_tracking_sets_assignee_and_follow_up(world, web, ready_case):
    page = web(world.staff).post(
        reverse("cases:tracking", args=[ready_case.pk]),
        {"assigned_to": world.billing.pk, "follow_up_on": "2030-01-02"},
        follow=True,
    )
    assert "saved" in page.content.decode()
    ready_case.refresh_from_db()
    assert ready_case.assigned_to == world.billing
    assert str(ready_case.follow_up_on) == "2030-01-02"


def test_tracking_refuses_an_assignee_from_another_practice(world, web, ready_case):
    page = web(world.staff).post(
        reverse("cases:tracking", args=[ready_case.pk]),
        {"assigned_to": world.other_staff.pk},
        follow=True,
    )
    assert "Select a valid choice" in page.content.decode()
    ready_case.refresh_from_db()
    assert ready_case.assigned_to is None


def test_document_is_generated_polled_and_downloaded(
    world, web, ready_case, django_capture_on_commit_callbacks
):
    browser = web(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("cases:document_create", args=[ready_case.pk]),
            {"kind": "request_letter"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    document = Document.objects.get(case=ready_case, kind="request_letter")
    # Rendered by the (eager) task after the commit: the row offers the download, stops polling.
    status_html = browser.get(reverse("cases:document_status", args=[document.pk])).content
    assert b"Download PDF" in status_html and b"hx-trigger" not in status_html
    pdf = browser.get(reverse("cases:document_download", args=[document.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    )
    assert ready_case.client.last_name in text
    assert AccessLog.objects.filter(action="download_document", object_id=document.pk).exists()


def test_a_rendering_document_polls_until_ready(world, web, ready_case):
    document = Document.objects.create(case=ready_case, kind="consent_form", status="rendering")
    html = web(world.staff).get(reverse("cases:document_status", args=[document.pk])).content
    assert b"hx-trigger" in html and b"Rendering" in html


def test_agreement_summary_before_approval_is_refused_clearly(world, web, ready_case):
    response = web(world.staff).post(
        reverse("cases:document_create", args=[ready_case.pk]),
        {"kind": "agreement_summary"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert b"once the case is approved" in response.content
    assert not Document.objects.filter(case=ready_case).exists()


def test_other_practices_documents_are_not_found(world, web):
    theirs = CaseFactory(practice=world.other_practice)
    document = Document.objects.create(case=theirs, kind="request_letter", status="queued")
    browser = web(world.staff)
    assert browser.get(reverse("cases:document_status", args=[document.pk])).status_code == 404
    assert browser.get(reverse("cases:document_download", args=[document.pk])).status_code == 404


def test_case_pages_have_no_patient_data_in_links(world, web, ready_case):
    html = web(world.staff).get(reverse("cases:detail", args=[ready_case.pk])).content.decode()
    hrefs = [part for part in html.split('href="')[1:]]
    assert not any(ready_case.client.last_name in h.split('"')[0] for h in hrefs)


def test_renew_drafts_a_new_case_and_opens_its_details(world, web, ready_case):
    Case.objects.filter(pk=ready_case.pk).update(
        status="denied", submitted_at="2026-01-05T10:00:00Z", decided_at="2026-02-05T10:00:00Z"
    )
    browser = web(world.staff)
    # No one-click renewal: only the confirmation page starts one.
    assert browser.post(reverse("cases:action", args=[ready_case.pk, "renew"])).status_code == 404
    assert not Case.objects.filter(renewal_of=ready_case).exists()
    response = browser.post(reverse("cases:renew_confirm", args=[ready_case.pk]))
    renewal = Case.objects.get(renewal_of=ready_case)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:request_step", args=[renewal.pk, "details"])


def test_csv_export_cannot_smuggle_spreadsheet_formulas(world, web):
    evil = ClientFactory(practice=world.practice, last_name='=HYPERLINK("http://x.test")')
    _case(world, client=evil, insurer_reference="+1+cmd")
    response = web(world.staff).post(reverse("cases:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    client_cell, reference_cell = rows[1][1], rows[1][12]
    assert client_cell.startswith("'=HYPERLINK")
    assert reference_cell == "'+1+cmd"


def test_csv_export_is_recorded_in_the_access_log(world, web):
    cases = [_case(world), _case(world)]
    web(world.staff).post(reverse("cases:export"))
    entry = AccessLog.objects.get(action="export_cases")
    assert entry.user == world.staff and entry.practice == world.practice
    # Every exported row is a subject; a list names no single client on the entry.
    assert entry.client is None
    assert set(entry.subjects.values_list("client_id", "case_id")) == {
        (c.client_id, c.pk) for c in cases
    }


def test_pages_of_patient_data_are_never_cached(world, web, ready_case):
    browser = web(world.staff)
    for url in (reverse("cases:list"), reverse("cases:detail", args=[ready_case.pk]), "/"):
        cache_control = browser.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url


def test_document_polling_slows_down_then_gives_up(world, web, ready_case):
    document = Document.objects.create(case=ready_case, kind="consent_form", status="queued")
    browser = web(world.staff)
    url = reverse("cases:document_status", args=[document.pk])
    first = browser.get(url).content.decode()
    assert "poll=1" in first and "delay:1s" in first
    later = browser.get(url, {"poll": "45"}).content.decode()
    assert "poll=46" in later and "delay:10s" in later
    last = browser.get(url, {"poll": "60"}).content.decode()
    assert "hx-get" not in last and "reload the page later" in last
    assert browser.get(url, {"poll": "x"}).status_code == 200


def test_submit_with_an_unknown_channel_is_refused(world, web, ready_case):
    browser = web(world.staff)
    response = browser.post(
        reverse("cases:action", args=[ready_case.pk, "submit"]),
        {"submission_channel": "pigeon"},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    ready_case.refresh_from_db()
    assert ready_case.status == CaseStatus.DRAFT


def test_flash_messages_stay_on_the_server(settings):
    # Messages can quote case details; a cookie is signed, not encrypted.
    assert settings.MESSAGE_STORAGE.endswith("SessionStorage")


def test_the_agreement_summary_is_offered_once_the_case_is_approved(world, web, ready_case):
    browser = web(world.staff)
    url = reverse("cases:detail", args=[ready_case.pk])
    assert b"Generate the agreement summary" not in browser.get(url).content
    Case.objects.filter(pk=ready_case.pk).update(
        status="approved", submitted_at="2026-01-05T10:00:00Z", decided_at="2026-02-05T10:00:00Z"
    )
    html = browser.get(url).content.decode()
    assert "Generate the agreement summary" in html and "Generate the request letter" in html
