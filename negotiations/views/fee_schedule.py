"""The practice fee schedule page (billing): the current practice's usual and floor rate per
billing code and modifier. Billing and above only; writes go through the services."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from billing_codes.models import code_label
from cases.models import Practice
from cases.web import PracticeMixin
from core.refusals import REFUSALS, add_errors, flash_refusal, refusal_status

from ..forms.fee_schedule import PracticeRateForm
from ..selectors.fee_schedule import practice_rates_visible_to
from ..services.fee_schedule import practice_rate_delete, practice_rate_save


def _label(rate) -> str:
    return code_label(rate.billing_code.code, rate.modifier)


class FeeScheduleMixin(PracticeMixin, TemplateView):
    """The fee schedule's pages."""

    role_action = "fee_schedule"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["nav_section"] = "fees"
        return ctx

    def get_rate(self):
        """Any of the user's practices' rates (another practice's is a 404), with billing
        rights in that rate's practice."""
        rate = get_object_or_404(practice_rates_visible_to(self.request.user), pk=self.kwargs["pk"])
        self.require(rate.practice_id, "fee_schedule")
        return rate


class FeeScheduleView(FeeScheduleMixin):
    """The schedule, with a form to add a rate."""

    template_name = "negotiations/practicerate_list.html"

    def render_page(self, form, status=200):
        rates = practice_rates_visible_to(self.request.user).filter(practice_id=self.practice_id)
        practice = Practice.objects.get(pk=self.practice_id)
        ctx = self.get_context_data(form=form, rates=rates, practice=practice)
        return self.render_to_response(ctx, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_page(PracticeRateForm())

    def post(self, request, *args, **kwargs):
        form = PracticeRateForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            rate = practice_rate_save(
                actor=request.user,
                practice=Practice.objects.get(pk=self.practice_id),
                **form.cleaned_data,
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.render_page(form, status=refusal_status(exc))
        messages.success(request, f"{_label(rate)} added to the fee schedule.")
        return redirect("negotiations:fee_schedule")


class PracticeRateEditView(FeeScheduleMixin):
    template_name = "negotiations/practicerate_form.html"

    def render_page(self, form, status=200):
        return self.render_to_response(
            self.get_context_data(form=form, rate=self.rate), status=status
        )

    def get(self, request, *args, **kwargs):
        self.rate = self.get_rate()
        return self.render_page(PracticeRateForm(instance=self.rate))

    def post(self, request, *args, **kwargs):
        self.rate = self.get_rate()
        # The form validates a copy; the service locks and reloads the row.
        copy = practice_rates_visible_to(request.user).get(pk=self.rate.pk)
        form = PracticeRateForm(request.POST, instance=copy)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            rate = practice_rate_save(
                actor=request.user,
                practice=self.rate.practice,
                instance=self.rate,
                **form.cleaned_data,
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.render_page(form, status=refusal_status(exc))
        messages.success(request, f"{_label(rate)} saved.")
        return redirect("negotiations:fee_schedule")


class PracticeRateDeleteView(FeeScheduleMixin):
    """GET asks for confirmation (pages work without JavaScript); POST deletes."""

    template_name = "negotiations/practicerate_confirm_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rate"] = self.get_rate()
        return ctx

    def post(self, request, *args, **kwargs):
        rate = self.get_rate()
        label = _label(rate)
        try:
            practice_rate_delete(actor=request.user, instance=rate)
        except REFUSALS as exc:
            flash_refusal(request, exc)
            return redirect("negotiations:fee_schedule")
        messages.success(request, f"{label} removed from the fee schedule.")
        return redirect("negotiations:fee_schedule")
