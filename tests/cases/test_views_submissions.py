"""The workspace's sendings panel: the list, the re-send form and its refusals."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Document, Submission
from cases.services.submissions import case_submit, submission_record
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def workspace(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def form_url(case) -> str:
    return reverse("cases:submission_create", args=[case.pk])


def ready_document(case, kind, pages) -> Document:
    return Document.objects.create(
        case=case, kind=kind, status="ready", sha256="b" * 64, page_count=pages
    )


@pytest.fixture
def submitted(world, ready_case) -> Case:
    case_submit(case_id=ready_case.pk, actor=world.staff, confirmation="FAX-1")
    ready_case.refresh_from_db()
    return ready_case


def test_a_draft_has_no_sendings_panel(world, web, ready_case):
    html = web(world.staff).get(workspace(ready_case)).content.decode()
    assert 'id="submissions"' not in html


def test_the_workspace_lists_the_sendings_and_offers_a_resend(world, web, submitted):
    letter = ready_document(submitted, "request_letter", 3)
    packet = ready_document(submitted, "submission_packet", 11)
    html = web(world.staff).get(workspace(submitted)).content.decode()
    assert 'id="submissions"' in html and "Record a re-send" in html
    assert "FAX-1" in html and "800-555-0102" in html  # confirmation and the insurer's fax
    # The policy's channel is chosen; the fax number is filled in and suggested.
    assert '<option value="fax" selected>' in html
    assert 'value="800-555-0102"' in html and 'list="insurer-addresses"' in html
    # The packet is offered before the letter (in the panel: other forms have selects too).
    panel = html[html.index('id="submissions"') :]
    assert panel.index(f'<option value="{packet.pk}"') < panel.index(f'<option value="{letter.pk}"')


def test_a_resend_from_the_workspace_is_recorded(world, web, submitted):
    packet = ready_document(submitted, "submission_packet", 11)
    response = web(world.staff).post(
        form_url(submitted),
        {"channel": "email", "sent_to": "sca@plan.example", "document": packet.pk,
         "confirmation": "MSG-9", "pages": ""},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == workspace(submitted) + "#submissions"
    assert "Re-send recorded." in response.content.decode()
    resent = submitted.submissions.order_by("id").last()
    assert (resent.channel, resent.sent_to, resent.pages, resent.document) == (
        "email",
        "sca@plan.example",
        11,
        packet,
    )
    assert resent.recorded_by == world.staff


def test_a_refused_resend_names_the_field_and_keeps_what_was_typed(world, web, submitted):
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = web(world.staff).post(
        form_url(submitted),
        {"channel": "fax", "sent_to": "518-555-0199", "sent_at": future, "confirmation": "C-42"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-sent_at"') :]
    assert "A sending cannot be in the future." in field[: field.index("</div>\n</div>") + 20]
    assert 'value="518-555-0199"' in html and 'value="C-42"' in html
    assert f'value="{future}"' in html
    assert '<details class="card" open>' in html  # the form stays open
    assert submitted.submissions.count() == 1


def test_a_refused_resend_by_htmx_swaps_the_panel_alone(world, web, submitted):
    response = web(world.staff).post(
        form_url(submitted),
        {"channel": "fax", "sent_to": "518-555-0199", "pages": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" aria-labelledby="submissions-h"')
    assert "<html" not in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert 'value="518-555-0199"' in html


def test_a_resend_by_htmx_swaps_the_panel_with_its_new_row(world, web, submitted):
    # Not an HX-Redirect to the workspace's #submissions: a change of fragment alone does not
    # reload the page, and the new row would not show.
    response = web(world.staff).post(
        form_url(submitted),
        {"channel": "fax", "confirmation": "FAX-7781"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" aria-labelledby="submissions-h"')
    assert "Re-send recorded." in html and "FAX-7781" in html
    assert submitted.submissions.count() == 2


def test_a_resend_of_a_closed_case_is_refused_at_the_top_of_the_form(world, web, submitted):
    Case.objects.filter(pk=submitted.pk).update(status="withdrawn")
    response = web(world.staff).post(form_url(submitted), {"channel": "fax"})
    assert response.status_code == 409
    assert "it is closed" in response.content.decode()
    assert submitted.submissions.count() == 1


def test_a_closed_case_offers_no_resend_form(world, web, submitted):
    Case.objects.filter(pk=submitted.pk).update(status="withdrawn")
    html = web(world.staff).get(workspace(submitted)).content.decode()
    assert 'id="submissions"' in html and "FAX-1" in html
    assert "Record a re-send" not in html


def test_another_practices_case_is_not_found(world, web, submitted):
    response = web(world.other_staff).post(form_url(submitted), {"channel": "fax"})
    assert response.status_code == 404
    assert submitted.submissions.count() == 1


def test_submit_from_the_review_records_the_recipient_and_confirmation(world, web, ready_case):
    response = web(world.staff).post(
        reverse("cases:action", args=[ready_case.pk, "submit"]),
        {"submission_channel": "portal", "sent_to": "Availity", "confirmation": "A-100"},
    )
    assert response.status_code == 302
    first = Submission.objects.get(case=ready_case)
    assert (first.channel, first.sent_to, first.confirmation) == ("portal", "Availity", "A-100")


def test_the_review_offers_the_recipient_and_confirmation(world, web, ready_case):
    html = web(world.staff).get(reverse("cases:request_step", args=[ready_case.pk, "review"]))
    assert (
        'name="sent_to"' in html.content.decode() and 'name="confirmation"' in html.content.decode()
    )


def _queries(browser, url) -> int:
    browser.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx)


def test_the_workspace_runs_the_same_number_of_queries_with_0_or_3_sendings(world, web, policy):
    def submitted_case(sendings: int) -> Case:
        case = CaseFactory(practice=world.practice, insurer=policy.insurer, status="submitted",
                           submitted_at=timezone.now(), rate_policy=policy)  # fmt: skip
        for n in range(sendings):
            submission_record(
                case_id=case.pk, actor=world.staff, channel="fax", confirmation=f"C-{n}"
            )
        return case

    browser = web(world.staff)
    none, three = submitted_case(0), submitted_case(3)
    assert Submission.objects.filter(case=three).count() == 3
    assert _queries(browser, workspace(none)) == _queries(browser, workspace(three))
