"""What the negotiation desk's steps share: the role each step needs, the POST endpoint that
runs one step, and a form's refusal as a service's."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from cases.selectors.case import get_case_for
from cases.web import PracticeMixin
from core.refusals import REFUSALS, flash_refusal

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


def form_or_refuse(form: forms.Form) -> dict:
    if not form.is_valid():
        raise ValidationError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return form.cleaned_data


class DeskView(PracticeMixin, View):
    """One POST endpoint per negotiation step (``step``, a key of STEP_ACTIONS); ``act`` calls
    one service and answers the message to show. Each area's steps are in its view module."""

    step = ""

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, STEP_ACTIONS[self.step])
        try:
            message = self.act(request, case)
        except REFUSALS as exc:
            flash_refusal(request, exc)
        else:
            messages.success(request, message)
        return redirect(reverse("cases:detail", args=[case.pk]) + "#negotiation")

    def act(self, request, case) -> str:
        raise NotImplementedError
