"""Peer-to-peer reviews in the contact log (issue 15, part 2): a contact kind with a request
deadline, a scheduled time that may lie ahead, the treating BCBA, the insurer's reviewer and
the outcome with units approved; no appeal level, so neither the case's status nor its appeal
deadline moves. Through the API, the workspace's desk and the dashboard's task card."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, CaseStatus
from cases.selectors.appeals import appeal_deadline, appeal_options
from cases.services.appeals import case_deny
from negotiations.models import ContactLog
from negotiations.services.contacts import contact_log, contact_update
from tests.factories import CaseFactory, ProviderFactory
from tests.sca_portal import test_one_rule_per_action as one_rule

pytestmark = pytest.mark.django_db


def contacts_url(case, pk=None) -> str:
    base = f"/api/v1/cases/{case.pk}/contacts/"
    return f"{base}{pk}/" if pk else base


def review_body(**extra) -> dict:
    return {
        "kind": "peer_to_peer",
        "summary": "Peer-to-peer booked with the medical director.",
        "reviewer_name": "Dr. Lee",
        "reviewer_credentials": "MD, child psychiatry",
        **extra,
    }


def contact_body(**extra) -> dict:
    return {"direction": "outbound", "channel": "phone", "summary": "Asked for status", **extra}


def ahead(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


@pytest.fixture
def denied(world, submitted_case):
    return case_deny(
        case_id=submitted_case.pk,
        actor=world.staff,
        reason="Not medically necessary at the hours requested.",
        reason_category="not_medically_necessary",
    )


# ----------------------------------------------------------------------------- the rules


def test_peer_to_peer_may_be_scheduled_in_future(world, api, submitted_case):
    at = ahead(days=3)
    response = api(world.staff).post(
        contacts_url(submitted_case), review_body(at=at.isoformat()), format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "peer_to_peer" and data["outcome"] == ""
    entry = ContactLog.objects.get()
    assert entry.at > timezone.now()
    # The treating BCBA defaults to the case's provider; a review defaults to a phone call.
    assert entry.treating_provider_id == submitted_case.provider_id
    assert (entry.direction, entry.channel) == ("outbound", "phone")
    # The scheduled day becomes the case's follow-up.
    submitted_case.refresh_from_db()
    assert submitted_case.follow_up_on == timezone.localdate(at)
    assert CaseEvent.objects.filter(case=submitted_case, kind="peer_to_peer_logged").exists()
    # At most a year ahead.
    far = api(world.staff).post(
        contacts_url(submitted_case), review_body(at=ahead(days=400).isoformat()), format="json"
    )
    assert far.status_code == 400 and "at" in far.json()
    assert ContactLog.objects.count() == 1


def test_plain_contact_in_future_is_400(world, api, submitted_case):
    response = api(world.staff).post(
        contacts_url(submitted_case), contact_body(at=ahead(days=1).isoformat()), format="json"
    )
    assert response.status_code == 400 and "at" in response.json()
    with pytest.raises(ValidationError) as refused:
        contact_log(
            case_id=submitted_case.pk, actor=world.staff, at=ahead(hours=2), **contact_body()
        )
    assert "at" in refused.value.message_dict
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("request_by", "2030-01-01"),
        ("reviewer_name", "Dr. Lee"),
        ("reviewer_credentials", "MD"),
        ("outcome", "approved"),
        ("units_approved", 10),
        ("treating_provider", "provider"),
    ],
)
def test_review_fields_on_plain_contact_are_400(world, api, submitted_case, field, value):
    if value == "provider":
        value = submitted_case.provider_id
    response = api(world.staff).post(
        contacts_url(submitted_case), contact_body(**{field: value}), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ContactLog.objects.exists()


def test_treating_provider_of_other_practice_is_400(world, api, submitted_case):
    theirs = ProviderFactory(practice=world.other_practice)
    response = api(world.staff).post(
        contacts_url(submitted_case), review_body(treating_provider=theirs.pk), format="json"
    )
    assert response.status_code == 400 and "treating_provider" in response.json()
    # The service holds the rule too (the admin and any other door).
    with pytest.raises(ValidationError) as refused:
        contact_log(
            case_id=submitted_case.pk, actor=world.staff, treating_provider=theirs, **review_body()
        )
    assert "treating_provider" in refused.value.message_dict
    ours = ProviderFactory(practice=world.practice, credential="BCBA")
    accepted = api(world.staff).post(
        contacts_url(submitted_case), review_body(treating_provider=ours.pk), format="json"
    )
    assert accepted.status_code == 201 and accepted.json()["treating_provider"] == ours.pk


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ({"units_approved": 100}, False),  # no outcome
        ({"outcome": "upheld", "units_approved": 100}, False),
        ({"outcome": "not_held", "units_approved": 0}, False),
        ({"outcome": "approved", "units_approved": 100_001}, False),
        ({"outcome": "approved", "units_approved": -1}, False),
        ({"outcome": "partially_approved", "units_approved": 320}, True),
        ({"outcome": "approved", "units_approved": 0}, True),
        ({"outcome": "upheld"}, True),
    ],
)
def test_units_approved_needs_approval_outcome(world, api, submitted_case, extra, ok):
    at = (timezone.now() - dt.timedelta(hours=2)).isoformat()  # held: an outcome is known
    response = api(world.staff).post(
        contacts_url(submitted_case), review_body(at=at, **extra), format="json"
    )
    if ok:
        assert response.status_code == 201, response.content
        assert ContactLog.objects.get().units_approved == extra.get("units_approved")
    else:
        assert response.status_code == 400 and "units_approved" in response.json()
        assert not ContactLog.objects.exists()


def test_peer_to_peer_does_not_stop_appeal_clock(world, api, denied):
    deadline = appeal_deadline(denied)
    options = appeal_options(denied)
    assert deadline is not None and options
    response = api(world.staff).post(
        contacts_url(denied),
        review_body(at=ahead(days=5).isoformat(), request_by=timezone.localdate().isoformat()),
        format="json",
    )
    assert response.status_code == 201, response.content
    denied.refresh_from_db()
    assert denied.status == CaseStatus.DENIED
    assert appeal_deadline(denied) == deadline
    assert appeal_options(denied) == options
    assert not denied.appeals.exists()
    # Nor does its outcome: an upheld review leaves the appeal to be filed.
    entry = ContactLog.objects.get()
    api(world.staff).patch(
        contacts_url(denied, entry.pk),
        {"at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(), "outcome": "upheld"},
        format="json",
    )
    denied.refresh_from_db()
    assert ContactLog.objects.get().outcome == "upheld"
    assert denied.status == CaseStatus.DENIED and appeal_deadline(denied) == deadline


def test_review_outcome_recorded_later(world, api, submitted_case):
    staff = api(world.staff)
    entry = staff.post(
        contacts_url(submitted_case), review_body(at=ahead(days=2).isoformat()), format="json"
    ).json()
    url = contacts_url(submitted_case, entry["id"])
    # Not before it took place (a review that did not happen may be said so at any time).
    early = staff.patch(url, {"outcome": "approved"}, format="json")
    assert early.status_code == 400 and "outcome" in early.json()
    # Held earlier than booked: its time and outcome, with the units approved.
    held = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = staff.patch(
        url,
        {
            "at": held,
            "outcome": "partially_approved",
            "units_approved": 320,
            "summary": "Approved 320 of 480 units of 97153.",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "partially_approved" and data["units_approved"] == 320
    event = CaseEvent.objects.get(case=submitted_case, kind="peer_to_peer_outcome")
    assert "320 units approved" in event.message
    assert event.data["changed"]["summary"] == ["(edited)"]
    # Units without an approving outcome, and fields a contact was logged with: refused by name.
    bad = staff.patch(url, {"outcome": "upheld"}, format="json")
    assert bad.status_code == 400 and "units_approved" in bad.json()
    locked = staff.patch(url, {"direction": "inbound", "kind": "contact"}, format="json")
    assert locked.status_code == 400 and {"direction", "kind"} <= set(locked.json())
    assert ContactLog.objects.get().outcome == "partially_approved"
    # A plain contact is append-only.
    plain = staff.post(contacts_url(submitted_case), contact_body(), format="json").json()
    response = staff.patch(
        contacts_url(submitted_case, plain["id"]), {"summary": "rewritten"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "contact_locked"
    assert ContactLog.objects.get(pk=plain["id"]).summary == "Asked for status"


def test_a_review_requested_but_not_booked_sets_the_follow_up_to_its_deadline(
    world, submitted_case
):
    by = timezone.localdate() + dt.timedelta(days=6)
    entry = contact_log(
        case_id=submitted_case.pk, actor=world.staff, request_by=by, **review_body()
    )
    submitted_case.refresh_from_db()
    assert submitted_case.follow_up_on == by
    # Booked later: the scheduled day becomes the follow-up.
    at = ahead(days=9)
    contact_update(
        case_id=submitted_case.pk, contact_id=entry.pk, actor=world.staff, data={"at": at}
    )
    submitted_case.refresh_from_db()
    assert submitted_case.follow_up_on == timezone.localdate(at)


def test_a_request_deadline_before_2000_is_400(world, api, submitted_case):
    response = api(world.staff).post(
        contacts_url(submitted_case), review_body(request_by="1999-12-31"), format="json"
    )
    assert response.status_code == 400 and "request_by" in response.json()


def test_the_log_filters_by_kind_and_another_practice_is_404(world, api, submitted_case):
    staff = api(world.staff)
    staff.post(contacts_url(submitted_case), contact_body(), format="json")
    review = staff.post(contacts_url(submitted_case), review_body(), format="json").json()
    rows = staff.get(contacts_url(submitted_case) + "?kind=peer_to_peer").json()["results"]
    assert [r["id"] for r in rows] == [review["id"]]
    assert staff.get(contacts_url(submitted_case) + "?kind=nonsense").status_code == 400
    other = api(world.other_staff)
    assert other.get(contacts_url(submitted_case, review["id"])).status_code == 404
    response = other.patch(
        contacts_url(submitted_case, review["id"]), {"outcome": "not_held"}, format="json"
    )
    assert response.status_code == 404
    assert ContactLog.objects.get(pk=review["id"]).outcome == ""


def test_the_outcome_form_and_serializer_refuse_the_same_bounds():
    one_rule.test_form_and_serializer_refuse_the_same_bounds(
        "negotiations.forms.contacts.ReviewOutcomeForm",
        "negotiations.serializers.contacts.ReviewUpdateSerializer",
    )


# ----------------------------------------------------------------------------- the browser


def desk(case) -> str:
    return reverse("negotiations:desk_contact", args=[case.pk])


def review_form(**extra) -> dict:
    return {
        "contact-kind": "peer_to_peer",
        "contact-direction": "outbound",
        "contact-channel": "phone",
        "contact-summary": "Booked with the plan's medical director.",
        "contact-reviewer_name": "Dr. Lee",
        "contact-reviewer_credentials": "MD",
        **extra,
    }


def local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def test_a_refused_review_comes_back_beside_its_field_with_the_input_kept(world, web, denied):
    browser = web(world.staff)
    at = ahead(days=4)
    typed = review_form(**{"contact-at": local(at), "contact-units_approved": "200"})
    response = browser.post(desk(denied), typed)
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-contact-units_approved"') :]
    assert "Units approved go with an outcome" in field[: field.index("</div>\n</div>")]
    assert 'value="Dr. Lee"' in html and 'value="200"' in html and local(at) in html
    assert re.search(r'<details class="card" id="log-contact" open>', html)
    assert not ContactLog.objects.exists()
    # Corrected, it is logged and listed distinctly.
    response = browser.post(desk(denied), review_form(**{"contact-at": local(at)}), follow=True)
    assert response.status_code == 200
    entry = ContactLog.objects.get()
    assert entry.kind == "peer_to_peer" and entry.at > timezone.now()
    html = response.content.decode()
    assert "Peer-to-peer</span>" in html and "Scheduled for" in html
    assert "Dr. Lee, MD" in html and str(denied.provider) in html


def test_review_fields_on_a_plain_contact_are_refused_in_the_browser(world, web, submitted_case):
    response = web(world.staff).post(
        desk(submitted_case), review_form(**{"contact-kind": "contact"})
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="field-contact-reviewer_name"') :]
    assert "Only a peer-to-peer review has this" in field[: field.index("</div>\n</div>")]
    assert not ContactLog.objects.exists()


def test_the_outcome_of_a_review_is_recorded_in_the_browser(world, web, submitted_case):
    entry = contact_log(
        case_id=submitted_case.pk,
        actor=world.staff,
        at=timezone.now() - dt.timedelta(hours=1),
        **review_body(),
    )
    browser = web(world.staff)
    prefix = f"outcome-{entry.pk}"
    base = {"review": entry.pk, f"{prefix}-summary": entry.summary}
    refused = browser.post(desk(submitted_case), {**base, f"{prefix}-units_approved": "50"})
    assert refused.status_code == 400
    assert 'value="50"' in refused.content.decode()
    response = browser.post(
        desk(submitted_case),
        {**base, f"{prefix}-outcome": "approved", f"{prefix}-units_approved": "480"},
        follow=True,
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.outcome, entry.units_approved) == ("approved", 480)
    assert "Approved as requested</strong>, 480 units approved" in response.content.decode()
    # Another case's review is not found through this case.
    other = CaseFactory(practice=world.practice, status="submitted", submitted_at=timezone.now())
    assert browser.post(desk(other), base).status_code == 404


def test_the_workspace_runs_the_same_number_of_queries_with_0_or_3_reviews(
    world, web, submitted_case
):
    browser = web(world.staff)
    url = reverse("cases:detail", args=[submitted_case.pk])

    def count() -> int:
        browser.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(url).status_code == 200
        return len(ctx)

    contact_log(case_id=submitted_case.pk, actor=world.staff, **contact_body())
    one = count()
    for days in (1, 2, 3):
        contact_log(
            case_id=submitted_case.pk, actor=world.staff, at=ahead(days=days), **review_body()
        )
    assert count() == one


# ----------------------------------------------------------------------------- the task card


def test_peer_to_peer_on_assignee_dashboard(world, web, submitted_case):
    """The assignee's card lists reviews without an outcome: booked ahead, or still to be
    requested; a decided one, another user's and another practice's never."""
    submitted_case.assigned_to = world.billing
    submitted_case.save()
    booked = contact_log(
        case_id=submitted_case.pk, actor=world.staff, at=ahead(days=2), **review_body()
    )
    unassigned = CaseFactory(
        practice=world.practice, status="denied", submitted_at=timezone.now(),
        decided_at=timezone.now(), created_by=world.staff,
    )  # fmt: skip
    to_request = contact_log(
        case_id=unassigned.pk,
        actor=world.staff,
        request_by=timezone.localdate() + dt.timedelta(days=3),
        **review_body(reviewer_name=""),
    )
    decided = contact_log(
        case_id=submitted_case.pk,
        actor=world.staff,
        at=timezone.now() - dt.timedelta(days=1),
        **review_body(outcome="upheld"),
    )
    theirs = CaseFactory(
        practice=world.other_practice, status="submitted", submitted_at=timezone.now(),
        assigned_to=world.billing,
    )  # fmt: skip
    contact_log(case_id=theirs.pk, actor=world.billing, at=ahead(days=1), **review_body())

    def card(user) -> str:
        html = web(user).get("/").content.decode()
        start = html.index('id="reviews-h"')
        return html[start : html.index("</section>", start)]

    billing = card(world.billing)
    assert f"#review-{booked.pk}" in billing and "Scheduled" in billing and "Dr. Lee, MD" in billing
    assert f"#review-{to_request.pk}" not in billing  # not theirs: unassigned, created by staff
    assert f"#review-{decided.pk}" not in billing and f"SCA #{theirs.pk}<" not in billing
    # No patient name on the card.
    assert submitted_case.client.last_name not in billing
    staff = card(world.staff)
    assert f"#review-{to_request.pk}" in staff and "Book it" in staff and "Request by" in staff
    assert f"#review-{booked.pk}" not in staff  # assigned to billing


def test_the_review_card_runs_one_statement_however_many_reviews(world, web, submitted_case):
    browser = web(world.staff)
    browser.get("/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get("/").status_code == 200
        return len(ctx)

    contact_log(case_id=submitted_case.pk, actor=world.staff, at=ahead(days=1), **review_body())
    # A decided case on the dashboard first, so that both counts include the access log's write.
    CaseFactory(
        practice=world.practice, status="denied", submitted_at=timezone.now(),
        decided_at=timezone.now(), created_by=world.staff,
    )  # fmt: skip
    one = count()
    for days in range(2, 14):
        case = CaseFactory(
            practice=world.practice, status="denied", submitted_at=timezone.now(),
            decided_at=timezone.now(), created_by=world.staff,
        )  # fmt: skip
        contact_log(case_id=case.pk, actor=world.staff, at=ahead(days=days), **review_body())
    assert count() == one
    assert len(browser.get("/").context["reviews"]) == 10  # the soonest ten


def test_a_review_id_that_is_not_a_plain_number_is_404(world, web, submitted_case):
    # "²" is a digit to str.isdigit, not to int(): a 404, never a 500.
    response = web(world.staff).post(desk(submitted_case), {"review": "²"})
    assert response.status_code == 404
