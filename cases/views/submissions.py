"""The workspace's sendings panel (every sending of the case, and the form for a re-send) and
the view that records a re-send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views import View

from cases.forms.submissions import SubmissionForm
from cases.models import SubmissionChannel
from cases.permissions import can
from cases.selectors.case import get_case_for
from cases.selectors.submissions import insurer_addresses, sendable, sendable_documents
from cases.services.submissions import RESEND_STATUSES, submission_record
from cases.web import PracticeMixin
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, refusal_status

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cases.models import Case, Document

PANEL_TEMPLATE = "cases/submission_panel.html"


def submission_panel(
    request: HttpRequest,
    case: Case,
    *,
    documents: list[Document],
    form: SubmissionForm | None = None,
) -> dict[str, Any] | None:
    """The panel's context for a case past the draft: its sendings (prefetched by the
    workspace's selector, else one query) and, for who may submit while the case is open, the
    re-send form; ``form`` is one that comes back refused, with what was typed."""
    if case.is_draft and form is None:
        return None
    may_record = case.status in RESEND_STATUSES and can(request.user, case.practice_id, "submit")
    addresses: list[str] = []
    if may_record:
        known = insurer_addresses(case)  # the practice's contact, else the directory's
        addresses = sorted({address for address in known.values() if address})
        if form is None:
            policy = case.rate_policy
            channel = (policy.submission_channel if policy else "") or SubmissionChannel.FAX
            form = SubmissionForm(
                initial={"channel": channel, "sent_to": known[channel]},
                documents=sendable(documents),
            )
    return {
        "case": case,
        "submissions": list(case.submissions.all()),
        # A refused form comes back even when the case has just closed (its error says so).
        "form": form,
        "addresses": addresses,
    }


class SubmissionCreateView(PracticeMixin, View):
    """Record a re-send from the workspace. A refusal comes back on the form, beside the field
    it names and with what was typed: the panel alone for htmx (swapped in place), else the
    whole workspace, answered with the refusal's status."""

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, "submit")
        documents = sendable_documents(case)
        form = SubmissionForm(request.POST, documents=documents)
        if not form.is_valid():
            return self.refused(request, case, form, documents, 400)
        data = form.cleaned_data
        try:
            _submission, created = submission_record(
                case_id=case.pk,
                actor=signed_in_user(request),
                channel=data["channel"],
                sent_at=data["sent_at"],
                sent_to=data["sent_to"],
                pages=data["pages"],
                confirmation=data["confirmation"],
                document_id=data["document"],
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, documents, refusal_status(exc))
        notice = "Re-send recorded." if created else "That sending was already recorded."
        if request.htmx:  # the panel in place, with its new row and a fresh form
            panel = submission_panel(request, case, documents=documents)
            context = {"submission_panel": {**(panel or {}), "notice": notice}}
            return render(request, PANEL_TEMPLATE, context)
        messages.success(request, notice)
        return redirect(reverse("cases:detail", args=[case.pk]) + "#submissions")

    def refused(self, request, case, form, documents, status):
        if request.htmx:
            panel = submission_panel(request, case, documents=documents, form=form)
            return render(request, PANEL_TEMPLATE, {"submission_panel": panel}, status=status)
        # The workspace imports this module for its panel, so its view is imported here.
        from .case import CaseWorkspaceView

        workspace = CaseWorkspaceView()
        workspace.setup(request, pk=case.pk)
        workspace.practice_id, workspace.role = self.practice_id, self.role
        context = workspace.get_context_data(pk=case.pk, submission_form=form)
        return render(request, workspace.template_name, context, status=status)


urlpatterns = [
    path(
        "cases/<id:pk>/submissions/",
        SubmissionCreateView.as_view(),
        name="submission_create",
    ),
]
