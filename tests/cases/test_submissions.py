"""Each sending of a case (DESIGN.md rule 10): the first at submit, then re-sends, through the
API and the services."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import CaseEvent, CaseStatus, Document, InsurerContact, Submission
from cases.services.submissions import submission_record
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def url(case) -> str:
    return f"/api/v1/cases/{case.pk}/submissions/"


def ready_document(case, kind="submission_packet", pages=9, **kw) -> Document:
    return Document.objects.create(
        case=case, kind=kind, status="ready", sha256="a" * 64, page_count=pages, **kw
    )


def submit(api, world, case, **body):
    response = api(world.staff).post(f"/api/v1/cases/{case.pk}/submit/", body, format="json")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    return case


def resend(api, user, case, **body):
    return api(user).post(url(case), {"channel": "fax", **body}, format="json")


# ------------------------------------------------------------------------------ at submit


def test_submit_records_the_first_submission_with_its_channel(world, api, ready_case):
    letter = ready_document(ready_case, kind="request_letter", pages=3)
    submit(api, world, ready_case, confirmation="FAX-0001")
    first = Submission.objects.get(case=ready_case)
    assert first.channel == "fax"  # the policy's
    assert first.sent_at == ready_case.submitted_at
    assert first.sent_to == ready_case.insurer.sca_fax  # the directory's fax for the insurer
    assert first.confirmation == "FAX-0001"
    assert (first.document, first.pages) == (letter, 3)
    assert first.recorded_by == world.staff
    event = CaseEvent.objects.filter(case=ready_case).latest("id")
    assert event.kind == "submitted" and event.message == "Submitted to the insurer by fax."
    assert event.data["submission"] == first.pk


def test_submit_sends_to_the_practices_own_contact_for_the_channel(world, api, ready_case):
    InsurerContact.objects.create(
        practice=world.practice, insurer=ready_case.insurer, email="sca@evergreen.example"
    )
    submit(api, world, ready_case, submission_channel="email")
    first = ready_case.submissions.get()
    assert (first.channel, first.sent_to) == ("email", "sca@evergreen.example")


def test_submit_takes_the_recipient_typed(world, api, ready_case):
    submit(api, world, ready_case, submission_channel="portal", sent_to="Availity")
    assert ready_case.submissions.get().sent_to == "Availity"


def test_submit_names_the_latest_ready_letter_never_a_packet_built_on_the_draft(
    world, api, ready_case
):
    # A packet built before submit is a draft's: its cover sheet says it is not ready to send.
    ready_document(ready_case, kind="request_letter", pages=2)
    letter = ready_document(ready_case, kind="request_letter", pages=3)
    ready_document(ready_case, kind="submission_packet", pages=14)
    Document.objects.create(case=ready_case, kind="request_letter", status="queued")
    submit(api, world, ready_case)
    first = ready_case.submissions.get()
    assert (first.document, first.pages) == (letter, 3)


def test_submit_without_any_channel_records_no_sending(world, api, ready_case, policy):
    policy.submission_channel = ""
    policy.save()
    submit(api, world, ready_case)
    assert ready_case.submissions.count() == 0
    assert ready_case.status == CaseStatus.SUBMITTED


# ------------------------------------------------------------------------------ re-sends


def test_a_resend_is_recorded_and_listed(world, api, ready_case):
    submit(api, world, ready_case)
    response = resend(
        api, world.staff, ready_case, channel="portal", sent_to="Availity", confirmation="P-77"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "portal" and body["recorded_by"] == world.staff.username
    listed = api(world.billing).get(url(ready_case)).json()["results"]
    assert [row["channel"] for row in listed] == ["fax", "portal"]
    assert listed[1]["confirmation"] == "P-77" and listed[1]["sent_to"] == "Availity"
    event = CaseEvent.objects.filter(case=ready_case, kind="resent").get()
    assert event.data["submission"] == body["id"]


def test_a_resend_moves_the_follow_up_to_the_sent_date_plus_expected_response_days(
    world, api, ready_case, policy
):
    policy.expected_response_days = 21
    policy.save()
    submit(api, world, ready_case)
    sent_at = timezone.now() - dt.timedelta(days=3)
    response = resend(api, world.staff, ready_case, sent_at=sent_at.isoformat())
    assert response.status_code == 201, response.content
    ready_case.refresh_from_db()
    assert ready_case.follow_up_on == timezone.localdate(sent_at) + dt.timedelta(days=21)


def test_a_resend_without_expected_response_days_leaves_the_follow_up(
    world, api, ready_case, policy
):
    policy.expected_response_days = None
    policy.save()
    submit(api, world, ready_case)
    ready_case.follow_up_on = timezone.localdate() + dt.timedelta(days=2)
    ready_case.save()
    assert resend(api, world.staff, ready_case).status_code == 201
    ready_case.refresh_from_db()
    assert ready_case.follow_up_on == timezone.localdate() + dt.timedelta(days=2)


def test_a_draft_cannot_be_resent(world, api, ready_case):
    response = resend(api, world.staff, ready_case)
    assert response.status_code == 409
    assert response.json()["code"] == "not_submitted"
    assert not Submission.objects.exists()


@pytest.mark.parametrize("status", ["declined", "withdrawn", "expired"])
def test_a_closed_case_cannot_be_resent(world, api, ready_case, status):
    submit(api, world, ready_case)
    ready_case.status = status
    ready_case.save()
    response = resend(api, world.staff, ready_case)
    assert response.status_code == 409
    assert response.json()["code"] == "case_closed"
    assert ready_case.submissions.count() == 1


@pytest.mark.parametrize(
    ("status", "moves_follow_up"),
    [("in_negotiation", True), ("denied", True), ("approved", False)],
)
def test_an_open_case_can_be_resent_and_only_an_awaited_answer_moves_the_follow_up(
    world, api, ready_case, status, moves_follow_up
):
    submit(api, world, ready_case)
    ready_case.status, ready_case.follow_up_on = status, None
    ready_case.save()
    assert resend(api, world.staff, ready_case).status_code == 201
    ready_case.refresh_from_db()
    assert (ready_case.follow_up_on is not None) == moves_follow_up


def test_a_sending_in_the_future_is_refused(world, api, ready_case):
    submit(api, world, ready_case)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    response = resend(api, world.staff, ready_case, sent_at=tomorrow.isoformat())
    assert response.status_code == 400
    assert "sent_at" in response.json()
    assert ready_case.submissions.count() == 1


def test_a_document_of_another_case_is_refused(world, api, ready_case):
    submit(api, world, ready_case)
    other = CaseFactory(practice=world.practice, insurer=ready_case.insurer)
    theirs = ready_document(other)
    response = resend(api, world.staff, ready_case, document=theirs.pk)
    assert response.status_code == 400
    assert "document" in response.json()
    unready = Document.objects.create(case=ready_case, kind="request_letter", status="failed")
    assert resend(api, world.staff, ready_case, document=unready.pk).status_code == 400
    assert ready_case.submissions.count() == 1


def test_pages_default_to_the_documents(world, api, ready_case):
    submit(api, world, ready_case)
    packet = ready_document(ready_case, pages=23)
    response = resend(api, world.staff, ready_case, document=packet.pk)
    assert response.status_code == 201, response.content
    assert (response.json()["document"], response.json()["pages"]) == (packet.pk, 23)
    typed = resend(api, world.staff, ready_case, document=packet.pk, pages=5, sent_to="x")
    assert typed.json()["pages"] == 5


def test_pages_are_bounded(world, api, ready_case):
    submit(api, world, ready_case)
    assert resend(api, world.staff, ready_case, pages=0).status_code == 400


def test_a_repeated_post_makes_no_second_record(world, api, ready_case):
    submit(api, world, ready_case)
    body = {"sent_to": "800-555-0102", "confirmation": "OK 12 pages"}
    first = resend(api, world.staff, ready_case, **body)
    again = resend(api, world.staff, ready_case, **body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert ready_case.submissions.count() == 2  # the first sending and this one
    assert CaseEvent.objects.filter(case=ready_case, kind="resent").count() == 1


def test_a_repeat_within_a_minute_is_the_same_sending_and_later_a_new_one(world, ready_case):
    from cases.services.submissions import case_submit

    case_submit(case_id=ready_case.pk, actor=world.staff)
    at = timezone.now() - dt.timedelta(hours=1)
    one, created = submission_record(
        case_id=ready_case.pk, actor=world.staff, channel="mail", sent_at=at
    )
    same, again = submission_record(
        case_id=ready_case.pk,
        actor=world.staff,
        channel="mail",
        sent_at=at + dt.timedelta(seconds=40),
    )
    later, new = submission_record(
        case_id=ready_case.pk,
        actor=world.staff,
        channel="mail",
        sent_at=at + dt.timedelta(minutes=5),
    )
    assert (created, again, new) == (True, False, True)
    assert same.pk == one.pk != later.pk


def test_another_practices_case_is_not_found(world, api, ready_case):
    submit(api, world, ready_case)
    assert api(world.other_staff).get(url(ready_case)).status_code == 404
    assert resend(api, world.other_staff, ready_case).status_code == 404
    assert ready_case.submissions.count() == 1
