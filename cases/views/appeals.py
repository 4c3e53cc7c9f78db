"""The workspace's denial and appeal forms (DESIGN.md rule 11): record the insurer's denial,
file a level of appeal, record the pending level's decision. Each calls its service; a refusal
comes back on the whole workspace (``workspace_refused``), answered with the refusal's status:
the form open and bound with what was typed, its errors beside their fields, and the first
field it names focused (``autofocus``, which scrolls the page to it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import View

from cases.forms.appeals import AppealForm, DecideForm, DenyForm, focus_first_error
from cases.models import Appeal, Case
from cases.selectors.appeals import appeal_state
from cases.selectors.case import get_case_for
from cases.services.appeals import appeal_decide, appeal_file, case_deny
from cases.web import PracticeMixin
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, refusal_status

from .case import workspace_refused


def _done(case: Case) -> HttpResponse:
    """The workspace, at the Denial card."""
    return redirect(reverse("cases:detail", args=[case.pk]) + "#denial")


class _RefusingView(PracticeMixin, View):
    form_name = ""  # the workspace context's name for this view's form

    def refused(
        self, request: HttpRequest, case: Case, form: Any, status: int, **extra: Any
    ) -> HttpResponse:
        focus_first_error(form)
        return workspace_refused(self, request, case, status, **{self.form_name: form}, **extra)


class DenialCreateView(_RefusingView):
    """The insurer's denial: category, date received, its words and the appeal address."""

    form_name = "deny_form"

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, "deny")
        form = DenyForm(request.POST, prefix="deny")
        if not form.is_valid():
            return self.refused(request, case, form, 400)
        try:
            case_deny(case_id=case.pk, actor=signed_in_user(request), **form.cleaned_data)
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, refusal_status(exc))
        messages.success(request, "Denial recorded. The appeal deadline is on the case.")
        return _done(case)


class AppealCreateView(_RefusingView):
    """File the next level of appeal of a denied case (billing)."""

    form_name = "appeal_form"

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, "appeal")
        options = appeal_state(case).options
        form = AppealForm(request.POST, prefix="appeal", options=options)
        if not form.is_valid():
            return self.refused(request, case, form, 400)
        try:
            appeal, warnings = appeal_file(
                case_id=case.pk, actor=signed_in_user(request), **form.cleaned_data
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, refusal_status(exc))
        messages.success(request, f"{appeal.get_level_display()} filed.")
        for warning in warnings:
            messages.warning(request, warning.detail)
        return _done(case)


class AppealDecideView(_RefusingView):
    """The pending level's decision: upheld (the case is denied again and the next level may be
    filed) or withdrawn. An overturned one is recorded in the negotiation panel."""

    form_name = "decide_form"

    def post(self, request, pk, appeal_pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, "uphold")
        form = DecideForm(request.POST, prefix="decide")
        if not form.is_valid():
            return self.refused(request, case, form, 400, decide_appeal=appeal_pk)
        try:
            appeal = appeal_decide(
                case_id=case.pk,
                appeal_id=appeal_pk,
                actor=signed_in_user(request),
                **form.cleaned_data,
            )
        except Appeal.DoesNotExist:
            raise Http404("No such appeal on this case.") from None
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.refused(request, case, form, refusal_status(exc), decide_appeal=appeal_pk)
        messages.success(
            request, f"{appeal.get_level_display()}: {appeal.get_outcome_display().lower()}."
        )
        return _done(case)


urlpatterns = [
    path("cases/<id:pk>/denial/", DenialCreateView.as_view(), name="deny"),
    path("cases/<id:pk>/appeals/", AppealCreateView.as_view(), name="appeal_file"),
    path(
        "cases/<id:pk>/appeals/<id:appeal_pk>/decide/",
        AppealDecideView.as_view(),
        name="appeal_decide",
    ),
]
