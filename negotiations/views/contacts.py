"""The desk's contact step: log a call, fax or message with the insurer, or a peer-to-peer
review, and record a review's outcome later. A refusal comes back on the form, beside the
field it names and with what was typed, in the whole workspace answered with its status."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from cases.selectors.case import get_case_for
from cases.services.common import as_data
from cases.views.case import CaseWorkspaceView
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, error_summary, refusal_status

from ..forms.contacts import ContactForm, ReviewOutcomeForm
from ..models.contacts import ContactKind, ContactLog
from ..selectors.contacts import contacts_for, with_review_state
from ..services.contacts import ReviewData, contact_log, contact_update
from .common import STEP_ACTIONS, DeskView

LOG_SIZE = 50


def _outcome_form(entry, data=None) -> ReviewOutcomeForm:
    return ReviewOutcomeForm(
        data,
        prefix=f"outcome-{entry.pk}",
        initial={"at": timezone.localtime(entry.at), "summary": entry.summary},
    )


def contact_log_context(
    case,
    *,
    form: ContactForm | None = None,
    outcome_form: tuple[int, ReviewOutcomeForm] | None = None,
) -> dict:
    """The contact log's part of the negotiation panel (templates/negotiations/contact_log.html):
    the latest entries, each review without an outcome with its form to record one, and the
    form to log a contact or review (bound, with its errors, when refused)."""
    entries = with_review_state(
        contacts_for(case).order_by("-at", "-id")[:LOG_SIZE], timezone.now()
    )
    # Each entry, its outcome form (a review without one) and that form's refusal summary.
    rows: list[tuple[ContactLog, ReviewOutcomeForm | None, list[dict[str, str]]]] = []
    for entry in entries:
        pending = entry.kind == ContactKind.PEER_TO_PEER and not entry.outcome
        if pending and outcome_form is not None and outcome_form[0] == entry.pk:
            rows.append((entry, outcome_form[1], error_summary(outcome_form[1])))
        else:
            rows.append((entry, _outcome_form(entry) if pending else None, []))
    contact_form = form or ContactForm(prefix="contact", practice_id=case.practice_id)
    return {
        "contact_form": contact_form,
        "contact_errors": error_summary(contact_form),
        "contacts": entries,
        "contact_rows": rows,
    }


class DeskContactView(DeskView):
    """Logs a contact or review (``contact_log``), or, with ``review`` posted, records that
    review's outcome (``contact_update``)."""

    step = "contact"

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, STEP_ACTIONS[self.step])
        review = request.POST.get("review", "")
        if review:
            reviews = contacts_for(case).filter(kind=ContactKind.PEER_TO_PEER)
            entry = get_object_or_404(
                reviews,
                pk=review if review.isascii() and review.isdigit() and len(review) < 10 else 0,
            )
            return self.record_outcome(request, case, entry)
        form = ContactForm(request.POST, prefix="contact", practice_id=case.practice_id)
        if not form.is_valid():
            return self.refused(request, case, form, None, 400)
        try:
            logged = contact_log(
                case_id=case.pk, actor=signed_in_user(request), **form.service_data()
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, None, refusal_status(exc))
        review_logged = logged.kind == ContactKind.PEER_TO_PEER
        messages.success(
            request, "Peer-to-peer review logged." if review_logged else "Contact logged."
        )
        return redirect(reverse("cases:detail", args=[case.pk]) + "#contacts")

    def record_outcome(self, request, case, entry):
        form = _outcome_form(entry, request.POST)
        if not form.is_valid():
            return self.refused(request, case, form, entry, 400)
        try:
            contact_update(
                case_id=case.pk,
                contact_id=entry.pk,
                actor=signed_in_user(request),
                data=as_data(form.service_data(), ReviewData),
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, entry, refusal_status(exc))
        messages.success(request, "Peer-to-peer review updated.")
        return redirect(reverse("cases:detail", args=[case.pk]) + "#contacts")

    def refused(self, request, case, form, entry, status):
        """The workspace again, with the refused form bound in the contact log."""
        workspace = CaseWorkspaceView()
        workspace.setup(request, pk=case.pk)
        workspace.practice_id, workspace.role = self.practice_id, self.role
        context = workspace.get_context_data(pk=case.pk)
        log = (
            contact_log_context(case, outcome_form=(entry.pk, form))
            if entry is not None
            else contact_log_context(case, form=form)
        )
        for panel in context.get("panels", []):
            if "contact_form" in panel.context:
                panel.context.update(log)
        return render(request, workspace.template_name, context, status=status)
