"""What the negotiation desk's steps share: the role each step needs, the POST endpoint that
runs one step, and a form's refusal as a service's."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cases.selectors.case import get_case_for
from cases.views.case import CaseWorkspaceView
from cases.web import PracticeMixin
from core.refusals import REFUSALS, flash_refusal, refusal_status

# Each step's entry in the one role table (ACTION_ROLES): contacts and use are recorded by
# staff (as in the API); the negotiation is billing's.
STEP_ACTIONS = {
    "offer": "receive_offer",
    "counter": "offers",
    "accept": "accept",
    "approve": "approve",
    "decline": "decline",
    "contact": "contacts",
    "utilization": "utilization",
}
# The steps whose refused input comes back on the workspace, beside the field it names and as
# typed, with a summary at the form's top (issue 16: an error off screen and typed input lost
# after a redirect); contacts and use have their own views that do the same.
REFUSED_IN_PLACE = frozenset({"offer", "counter", "accept", "approve", "decline"})
# Where a refused step waits for the negotiation panel, which the workspace builds through the
# registry (cases.workspace: cases never imports negotiations), so only the request reaches it.
_REFUSAL = "negotiation_refusal"


@dataclass(frozen=True)
class DeskRefusal:
    """A step refused on the input it was given: the panel binds that step's form to the POST
    again and shows ``error`` beside the fields it names."""

    step: str
    error: Exception


def desk_refusal(request: HttpRequest) -> DeskRefusal | None:
    return getattr(request, _REFUSAL, None)


def form_or_refuse(form: forms.Form) -> dict:
    if not form.is_valid():
        raise ValidationError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return form.cleaned_data


class DeskView(PracticeMixin, View):
    """One POST endpoint per negotiation step (``step``, a key of STEP_ACTIONS); ``act`` calls
    one service and answers the message to show. Each area's steps are in its view module.

    A refusal of the input (400) of a step in REFUSED_IN_PLACE re-renders the workspace with
    the form as typed; one of the case's state (409: it changed meanwhile, the form may no
    longer apply) and every other step's come back as a message after a redirect."""

    step = ""

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, STEP_ACTIONS[self.step])
        try:
            message = self.act(request, case)
        except REFUSALS as exc:
            if self.step in REFUSED_IN_PLACE and refusal_status(exc) == 400:
                return self.refused_in_place(request, case, exc)
            flash_refusal(request, exc)
        else:
            messages.success(request, message)
        return redirect(reverse("cases:detail", args=[case.pk]) + "#negotiation")

    def refused_in_place(self, request, case, exc: Exception):
        """The workspace, as cases.views.case.SubmissionCreateView answers a refused re-send:
        the whole page with the refusal's status."""
        setattr(request, _REFUSAL, DeskRefusal(step=self.step, error=exc))
        workspace = CaseWorkspaceView()
        workspace.setup(request, pk=case.pk)
        workspace.practice_id, workspace.role = self.practice_id, self.role
        context = workspace.get_context_data(pk=case.pk)
        return render(request, workspace.template_name, context, status=refusal_status(exc))

    def act(self, request, case) -> str:
        raise NotImplementedError
