"""Denials and appeals on the workspace (issue 15): recording the denial, the Denial card with
its deadline, filing a level, recording its decision, and every refusal shown beside its field
with what was typed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AppealOutcome, Case, CaseStatus
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from cases.services.submissions import case_submit
from tests.factories import CaseAttachmentFactory, CaseFactory

pytestmark = pytest.mark.django_db

WORDING = "ABA is not medically necessary: the goals of the plan are met."


def today() -> dt.date:
    return timezone.localdate()


def workspace(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def deny_url(case) -> str:
    return reverse("cases:deny", args=[case.pk])


def appeal_url(case) -> str:
    return reverse("cases:appeal_file", args=[case.pk])


def decide_url(case, appeal) -> str:
    return reverse("cases:appeal_decide", args=[case.pk, appeal.pk])


def field_html(html: str, name: str) -> str:
    """The markup of one field (includes/field.html), up to the next field."""
    start = html.index(f'id="field-{name}"')
    end = html.find('<div class="field', start + 1)
    return html[start : end if end != -1 else None]


def submitted_days_ago(case, days: int) -> Case:
    """Submitted ``days`` ago, so that a denial may be dated back that far."""
    case_submit(case_id=case.pk, actor=case.created_by, submission_channel="fax")
    Case.objects.filter(pk=case.pk).update(submitted_at=timezone.now() - dt.timedelta(days=days))
    case.refresh_from_db()
    return case


@pytest.fixture
def submitted(world, ready_case) -> Case:
    return submitted_days_ago(ready_case, 30)


def deny(case, actor, *, category="not_medically_necessary", days_ago=5, **extra) -> Case:
    return case_deny(
        case_id=case.pk,
        actor=actor,
        reason=WORDING,
        reason_category=category,
        received_on=today() - dt.timedelta(days=days_ago),
        **extra,
    )


@pytest.fixture
def denied(world, submitted) -> Case:
    return deny(submitted, world.staff, appeal_address="Appeals Unit, PO Box 30432, Salt Lake City")


def file(case, actor, level="internal_1", **extra):
    appeal, _warnings = appeal_file(case_id=case.pk, actor=actor, level=level, **extra)
    return appeal


# ----------------------------------------------------------------------------- the denial


def test_a_submitted_case_offers_the_denial_form_with_today_by_default(world, web, submitted):
    html = web(world.staff).get(workspace(submitted)).content.decode()
    assert 'id="record-denial"' in html and "Record denial" in html
    assert f'name="deny-received_on" value="{today().isoformat()}"' in html
    assert '<option value="contract_refused">' in html
    assert "Withdraw" in html  # withdrawing keeps its own reason form


def test_the_denial_is_recorded_with_its_category_date_wording_and_address(world, web, submitted):
    received = today() - dt.timedelta(days=3)
    response = web(world.staff).post(
        deny_url(submitted),
        {"deny-reason_category": "in_network_available", "deny-received_on": received.isoformat(),
         "deny-reason": WORDING, "deny-appeal_address": "Fax 801-555-0100"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == workspace(submitted) + "#denial"
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.DENIED
    assert (submitted.denial_category, submitted.denial_received_on) == (
        "in_network_available",
        received,
    )
    assert submitted.decision_reason == WORDING
    assert submitted.denial_appeal_address == "Fax 801-555-0100"


def test_a_denial_received_in_the_future_is_refused_beside_its_field_keeping_what_was_typed(
    world, web, submitted
):
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = web(world.staff).post(
        deny_url(submitted),
        {"deny-reason_category": "not_covered", "deny-received_on": tomorrow,
         "deny-reason": WORDING, "deny-appeal_address": "PO Box 7"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    field = field_html(html, "deny-received_on")
    assert "This date cannot be in the future." in field
    assert "autofocus" in field  # the page opens on it
    assert f'value="{tomorrow}"' in field
    assert WORDING in html and "PO Box 7" in html
    assert '<option value="not_covered" selected>' in html
    assert '<details class="card" id="record-denial" open>' in html  # the form stays open
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED


def test_a_denial_received_before_the_submission_is_refused_beside_its_field(world, web, submitted):
    before = (today() - dt.timedelta(days=31)).isoformat()
    response = web(world.staff).post(
        deny_url(submitted),
        {"deny-reason_category": "not_covered", "deny-received_on": before, "deny-reason": "x"},
    )
    assert response.status_code == 400
    assert "the case was submitted" in field_html(response.content.decode(), "deny-received_on")


def test_a_denial_without_the_insurers_wording_is_refused_beside_its_field(world, web, submitted):
    response = web(world.staff).post(
        deny_url(submitted),
        {"deny-reason_category": "other", "deny-reason": "  ", "deny-appeal_address": "PO Box 7"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = field_html(html, "deny-reason")
    assert "Give the insurer&#x27;s wording" in field and "autofocus" in field
    assert "PO Box 7" in html
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED


def test_a_denial_without_a_category_is_refused_beside_its_field(world, web, submitted):
    response = web(world.staff).post(
        deny_url(submitted), {"deny-reason_category": "", "deny-reason": WORDING}
    )
    assert response.status_code == 400
    assert "This field is required." in field_html(
        response.content.decode(), "deny-reason_category"
    )


def test_a_denial_of_a_draft_is_refused_with_the_transition_it_breaks(world, web, ready_case):
    response = web(world.staff).post(
        deny_url(ready_case), {"deny-reason_category": "other", "deny-reason": WORDING}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert WORDING in html  # kept, with the refusal at the top of the form, focused
    assert "autofocus" in field_html(html, "deny-reason_category")
    ready_case.refresh_from_db()
    assert ready_case.status == CaseStatus.DRAFT


def test_the_old_deny_button_is_gone(world, web, submitted):
    url = reverse("cases:action", args=[submitted.pk, "deny"])
    assert web(world.staff).post(url, {"reason": WORDING}).status_code == 404


# ----------------------------------------------------------------------------- the card


def test_a_denied_case_shows_the_denial_and_its_deadline(world, web, denied):
    html = web(world.billing).get(workspace(denied)).content.decode()
    card = html[html.index('id="denial"') :]
    received = today() - dt.timedelta(days=5)
    due = received + dt.timedelta(days=180)  # commercial: the first internal appeal
    assert "Not medically necessary" in card and WORDING in card
    assert "Appeals Unit, PO Box 30432" in card
    assert received.strftime("%b") in card and f"{due.day}, {due.year}" in card
    assert f"{(due - today()).days} days left" in card
    assert "Internal appeal (first level)" in card
    assert "File an appeal" in card and 'name="appeal-level"' in card
    assert "urgent care: decided within 72 hours" in card.lower()
    # The Denial card comes before the negotiation panel.
    assert html.index('id="denial"') < html.index('id="negotiation"')


def test_the_policys_appeal_days_set_the_deadline_shown(world, web, submitted, policy):
    policy.appeal_days = 30
    policy.save()
    case = deny(submitted, world.staff, days_ago=2)
    html = web(world.billing).get(workspace(case)).content.decode()
    assert "28 days left" in html


def test_an_appeal_deadline_passed_says_overdue(world, web, ready_case):
    case = deny(submitted_days_ago(ready_case, 250), ready_case.created_by, days_ago=200)
    html = web(world.billing).get(workspace(case)).content.decode()
    assert "overdue by 20 days" in html
    assert "after the deadline" in html  # the late warning, before filing


def test_a_medicaid_denial_says_how_benefits_continue(world, web, submitted):
    submitted.client.line_of_business = "medicaid"
    submitted.client.save()
    case = deny(submitted, world.staff, days_ago=4)
    html = web(world.billing).get(workspace(case)).content.decode()
    by = today() - dt.timedelta(days=4) + dt.timedelta(days=10)
    assert "continuation of benefits" in html.lower()
    assert "within 10 days of the denial" in html and f"{by.day}, {by.year}" in html
    assert (
        f"{(today() - dt.timedelta(days=4) + dt.timedelta(days=60) - today()).days} days left"
        in html
    )


def test_a_missing_authorized_representative_form_is_warned_before_filing(world, web, denied):
    browser = web(world.billing)
    assert (
        "No authorized representative form is on file"
        in browser.get(workspace(denied)).content.decode()
    )
    CaseAttachmentFactory(case=denied, kind="authorized_representative")
    assert (
        "No authorized representative form" not in browser.get(workspace(denied)).content.decode()
    )


def test_a_refused_contract_cannot_be_appealed_and_names_where_to_escalate(world, web, submitted):
    case = deny(submitted, world.staff, category="contract_refused")
    html = web(world.billing).get(workspace(case)).content.decode()
    assert "This denial cannot be appealed" in html
    assert "department of insurance" in html and "Employee Benefits Security" in html
    assert "File an appeal" not in html and 'name="appeal-level"' not in html


def test_staff_see_the_denial_without_the_appeal_form(world, web, denied):
    html = web(world.staff).get(workspace(denied)).content.decode()
    assert 'id="denial"' in html and "days left" in html
    assert 'name="appeal-level"' not in html
    assert "needs the billing role" in html


def test_the_renew_button_asks_for_confirmation_on_its_own_page(world, web, denied):
    html = web(world.staff).get(workspace(denied)).content.decode()
    assert f'href="{reverse("cases:renew_confirm", args=[denied.pk])}"' in html


def test_a_denied_case_shows_no_accept_or_decline_text(world, web, denied):
    html = web(world.billing).get(workspace(denied)).content.decode()
    assert "Accept the insurer's offer or decline" not in html


# ----------------------------------------------------------------------------- filing


def test_billing_files_an_appeal_and_is_told_what_to_know(world, web, denied):
    response = web(world.billing).post(
        appeal_url(denied),
        {"appeal-level": "internal_1", "appeal-filed_on": today().isoformat(),
         "appeal-channel": "fax", "appeal-reference": "APL-2231", "appeal-expedited": "on",
         "appeal-notes": "Sent with the progress report."},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain[-1][0] == workspace(denied) + "#denial"
    html = response.content.decode()
    assert "Internal appeal (first level) filed." in html
    assert "No authorized representative form is on file" in html  # the warning, as a message
    denied.refresh_from_db()
    assert denied.status == CaseStatus.APPEALED
    appeal = denied.appeals.get()
    assert (appeal.level, appeal.reference, appeal.channel, appeal.expedited) == (
        "internal_1",
        "APL-2231",
        "fax",
        True,
    )
    assert appeal.filed_on == today() and not appeal.late


def test_an_appeal_filed_before_the_denial_is_refused_beside_its_field(world, web, denied):
    before = (today() - dt.timedelta(days=6)).isoformat()
    response = web(world.billing).post(
        appeal_url(denied),
        {"appeal-level": "internal_1", "appeal-filed_on": before, "appeal-reference": "APL-9"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = field_html(html, "appeal-filed_on")
    assert "the denial it answers" in field and "autofocus" in field
    assert 'value="APL-9"' in html
    assert not denied.appeals.exists()


def test_an_appeal_filed_in_the_future_is_refused_beside_its_field(world, web, denied):
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = web(world.billing).post(
        appeal_url(denied), {"appeal-level": "internal_1", "appeal-filed_on": tomorrow}
    )
    assert response.status_code == 400
    field = field_html(response.content.decode(), "appeal-filed_on")
    assert "cannot be in the future" in field and f'value="{tomorrow}"' in field


def test_a_level_the_coverage_does_not_have_is_refused_beside_its_field(world, web, denied):
    response = web(world.billing).post(
        appeal_url(denied), {"appeal-level": "state_fair_hearing", "appeal-reference": "R-1"}
    )
    assert response.status_code == 400
    assert "has these levels" in field_html(response.content.decode(), "appeal-level")


def test_a_level_already_used_is_refused_with_its_code(world, web, denied):
    appeal = file(denied, world.billing)
    appeal_decide(case_id=denied.pk, appeal_id=appeal.pk, actor=world.billing, outcome="upheld")
    response = web(world.billing).post(appeal_url(denied), {"appeal-level": "internal_1"})
    assert response.status_code == 409
    assert "already filed" in response.content.decode()
    assert denied.appeals.count() == 1


def test_staff_may_not_file_or_decide_an_appeal(world, web, denied):
    browser = web(world.staff)
    assert browser.post(appeal_url(denied), {"appeal-level": "internal_1"}).status_code == 403
    appeal = file(denied, world.billing)
    response = browser.post(decide_url(denied, appeal), {"decide-outcome": "upheld"})
    assert response.status_code == 403
    assert denied.appeals.get().outcome == AppealOutcome.PENDING


def test_another_practices_case_is_not_found_by_any_of_the_forms(world, web, denied):
    theirs = CaseFactory(practice=world.other_practice)
    browser = web(world.billing)
    appeal = file(denied, world.billing)
    assert browser.post(deny_url(theirs), {"deny-reason": WORDING}).status_code == 404
    assert browser.post(appeal_url(theirs), {"appeal-level": "internal_1"}).status_code == 404
    url = reverse("cases:appeal_decide", args=[theirs.pk, appeal.pk])
    assert browser.post(url, {"decide-outcome": "upheld"}).status_code == 404
    # The case is ours, the appeal is not one of its levels.
    other = CaseFactory(practice=world.practice)
    response = browser.post(decide_url(other, appeal), {"decide-outcome": "upheld"})
    assert response.status_code == 404


# ----------------------------------------------------------------------------- appealed


@pytest.fixture
def appealed(world, denied) -> Case:
    file(denied, world.billing, reference="APL-1", expedited=True)
    denied.refresh_from_db()
    return denied


def test_an_appealed_case_shows_its_levels_and_how_to_record_the_outcome(world, web, appealed):
    html = web(world.billing).get(workspace(appealed)).content.decode()
    table = html[html.index('aria-labelledby="appeals-h"') :]
    assert "Internal appeal (first level)" in table and "APL-1" in table
    assert "Yes (72 h)" in table and "Pending" in table
    assert "Record the decision" in html and 'name="decide-outcome"' in html
    assert '<option value="overturned"' not in html  # recorded by approving
    assert 'href="#negotiation"' in html and "Record approval" in html
    assert "File an appeal" not in html
    assert "Accept the insurer's offer or decline" not in html


def test_an_upheld_appeal_returns_the_case_to_denied_offering_the_next_level(world, web, appealed):
    appeal = appealed.appeals.get()
    response = web(world.billing).post(
        decide_url(appealed, appeal),
        {"decide-outcome": "upheld", "decide-decided_on": today().isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert "Internal appeal (first level): denial upheld." in html
    appealed.refresh_from_db()
    assert appealed.status == CaseStatus.DENIED
    # The upheld level stays listed; the next levels are offered, with their deadlines.
    table = html[html.index('aria-labelledby="appeals-h"') :]
    assert "Denial upheld" in table
    assert '<option value="internal_2"' in html and '<option value="external_review"' in html
    due = today() + dt.timedelta(days=60)
    assert f"{due.day}, {due.year}" in html


def test_a_decision_dated_before_the_filing_is_refused_beside_its_field(world, web, appealed):
    appeal = appealed.appeals.get()
    before = (today() - dt.timedelta(days=1)).isoformat()
    response = web(world.billing).post(
        decide_url(appealed, appeal),
        {"decide-outcome": "withdrawn", "decide-decided_on": before, "decide-notes": "Typed"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = field_html(html, "decide-decided_on")
    assert "the appeal was filed" in field and "autofocus" in field
    assert '<option value="withdrawn" selected>' in html and "Typed" in html
    assert '<details class="card" id="decide-appeal" open>' in html
    assert appeal.outcome == AppealOutcome.PENDING


def test_an_overturned_appeal_is_recorded_as_an_approval_in_the_negotiation_panel(
    world, web, appealed
):
    response = web(world.billing).post(
        reverse("negotiations:desk_approve", args=[appealed.pk]),
        {"terms-authorization_number": "AUTH-77",
         "terms-start_date": appealed.requested_start.isoformat(),
         "terms-end_date": appealed.requested_end.isoformat()},
        follow=True,
    )  # fmt: skip
    appealed.refresh_from_db()
    assert appealed.status == CaseStatus.APPROVED
    assert appealed.appeals.get().outcome == AppealOutcome.OVERTURNED
    html = response.content.decode()
    assert 'id="denial"' in html and "Overturned" in html  # the history stays on the case
    assert "File an appeal" not in html
