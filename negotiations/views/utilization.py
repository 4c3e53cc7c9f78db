"""The desk's utilization step: record the units used on a service date.

A refused entry comes back in place, as typed, with the error beside its field: a date in the
future or outside the agreement (400), and units past the authorization (409
``over_authorized``), which brings a box to tick to record them anyway."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.selectors.case import get_case_for
from cases.views.case import CaseWorkspaceView
from core.exceptions import DomainError
from core.refusals import REFUSALS, add_errors, flash_refusal, refusal_status

from ..forms.utilization import UtilizationForm
from ..services.utilization import utilization_record
from .common import STEP_ACTIONS, DeskView, form_or_refuse

PANEL_TEMPLATE = "negotiations/panel.html"


def _over_authorized(exc: Exception) -> bool:
    return isinstance(exc, DomainError) and exc.code == "over_authorized"


class DeskUtilizationView(DeskView):
    step = "utilization"

    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, STEP_ACTIONS[self.step])
        agreement = getattr(case, "agreement", None)
        if agreement is None:  # no form to come back to: the case changed meanwhile
            messages.error(request, "This case has no agreement to record use against.")
            return redirect(reverse("cases:detail", args=[case.pk]) + "#negotiation")
        lines = list(agreement.lines.select_related("billing_code"))
        # Parsed with the confirmation box, which a first post leaves out (unticked).
        form = UtilizationForm(request.POST, prefix="use", lines=lines, confirm=True)
        try:
            message = self.record(request, case, form, lines)
        except REFUSALS as exc:
            if refusal_status(exc) == 400 or _over_authorized(exc):
                return self.refused_here(request, case, form, lines, exc)
            flash_refusal(request, exc)  # the case changed meanwhile
        else:
            messages.success(request, message)
        return redirect(reverse("cases:detail", args=[case.pk]) + "#agreement")

    def record(self, request, case, form: UtilizationForm, lines) -> str:
        data = form_or_refuse(form)
        line = next(ln for ln in lines if str(ln.pk) == data["line"])
        entry = utilization_record(
            case_id=case.pk, actor=request.user, service_date=data["service_date"],
            billing_code=line.billing_code, modifier=line.modifier, units=data["units"],
            confirm_over_authorized=bool(data.get("confirm_over_authorized")),
        )  # fmt: skip
        if entry.over_authorized:
            return "Recorded, but past the authorized units: ask the insurer before more sessions."
        return "Use recorded."

    def refused_here(self, request, case, form: UtilizationForm, lines, exc: Exception):
        """The workspace with the entry as typed and the error beside its field (the panel is
        built by the negotiations panel builder; its usage form is replaced by this one)."""
        shown = UtilizationForm(
            request.POST, prefix="use", lines=lines, confirm=_over_authorized(exc)
        )
        shown.is_valid()  # the field errors of the form itself, then the service's
        if form.is_valid():  # else the form's own errors are the refusal
            if isinstance(exc, DomainError) and _over_authorized(exc):
                shown.add_error("units", exc.detail)  # beside the units; the box is the way on
            else:
                add_errors(shown, exc)
        workspace = CaseWorkspaceView()
        workspace.setup(request, pk=case.pk)
        workspace.practice_id, workspace.role = self.practice_id, self.role
        context = workspace.get_context_data(pk=case.pk)
        for panel in context.get("panels", []):
            if panel.template == PANEL_TEMPLATE:
                panel.context["utilization_form"] = shown
                panel.context["utilization_refused"] = True
                panel.context["utilization_confirm"] = _over_authorized(exc)
        return render(request, workspace.template_name, context, status=refusal_status(exc))
