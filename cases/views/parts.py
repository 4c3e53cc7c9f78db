"""What a case is made of, in the browser: the guided request's services, in-network search
and consent steps (``RequestStepView`` takes them in), and a consent's signed scan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cases.downloads import consent_response
from cases.forms.parts import ConsentForm, NetworkSearchForm, ServiceForm
from cases.models import Case, ServiceType
from cases.selectors.parts import consents_visible_to
from cases.selectors.readiness import case_readiness
from cases.services.common import as_data
from cases.services.parts import (
    ConsentData,
    SearchData,
    ServiceData,
    consent_add,
    consent_remove,
    network_search_add,
    network_search_remove,
    service_add,
    service_remove,
)
from cases.web import HtmxHttpRequest, PracticeMixin, htmx_done
from cases.workspace import usual_rate, usual_rates
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, flash_refusal


def saved_step(request: HtmxHttpRequest, case: Case, step: str) -> HttpResponse:
    """On to the next step; ``?saved=1`` gives its heading the focus (static/js/forms.js), so
    that the next Tab reaches its first field."""
    return htmx_done(request, reverse("cases:request_step", args=[case.pk, step]) + "?saved=1")


class PartsSteps:
    """The request's steps that write a case's parts; the view provides ``render_step``."""

    if TYPE_CHECKING:

        def render_step(
            self, request: HttpRequest, case: Case, step: str, status: int = 200, **extra: Any
        ) -> HttpResponse: ...

    # ----------------------------------------------------------------- services
    def service_form(self, case, data=None):
        form = ServiceForm(data, aba_only=case.service_type == ServiceType.ABA, prefix="svc")
        # Picking a code (or a modifier) fetches the rate field, prefilled from the fee schedule.
        for name in ("billing_code", "modifier"):
            form.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("cases:request_step", args=[case.pk, "services"]),
                    "hx-trigger": "change",
                    "hx-include": "#id_svc-billing_code, #id_svc-modifier",
                    "hx-vals": '{"rate_for": "1"}',
                    "hx-target": "#rate-field",
                    "hx-select": "#rate-field",  # not the form's "main"
                    "hx-swap": "outerHTML",
                }
            )
        return form

    def show_services(self, request, case, form=None, status=200):
        rates = usual_rates(case.practice_id)
        return self.render_step(
            request, case, "services", status,
            form=form or self.service_form(case),
            services=list(case.services.all()),
            has_fee_schedule=bool(rates),
        )  # fmt: skip

    def rate_field(self, request, case):
        """htmx: the rate input, prefilled with the practice's usual rate for the code."""
        form = self.service_form(case)
        try:
            code_id = int(request.GET.get("svc-billing_code", ""))
        except ValueError:
            code_id = None
        rate = usual_rate(case.practice_id, code_id, request.GET.get("svc-modifier", ""))
        form.initial["requested_rate"] = rate
        return render(
            request,
            "cases/request_rate_field.html",
            {"field": form["requested_rate"], "rate": rate},
        )

    def save_services(self, request, case):
        if "remove" in request.POST:
            try:
                service = case.services.get(pk=int(request.POST["remove"]))
                service_remove(service_id=service.pk, actor=signed_in_user(request))
            except (ValueError, case.services.model.DoesNotExist):
                raise Http404("No such service on this case.") from None
            except REFUSALS as exc:
                flash_refusal(request, exc)
            return redirect("cases:request_step", pk=case.pk, step="services")
        if "next" in request.POST:
            return saved_step(request, case, "searches")
        form = self.service_form(case, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:  # a blank rate takes the practice's usual rate (the service's rule)
                service_add(
                    case_id=case.pk, actor=signed_in_user(request), data=as_data(data, ServiceData)
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{data['billing_code'].code} added.")
                return htmx_done(request, reverse("cases:request_step", args=[case.pk, "services"]))
        return self.show_services(request, case, form, 400)

    # ----------------------------------------------------------------- searches
    def show_searches(self, request, case, form=None, status=200):
        readiness = case_readiness(case)
        check = next(c for c in readiness.checks if c.code == "network_search_incomplete")
        return self.render_step(
            request, case, "searches", status,
            form=form or NetworkSearchForm(prefix="ns"),
            searches=list(case.network_searches.all()),
            check=check,
            readiness=readiness,
        )  # fmt: skip

    def save_searches(self, request, case):
        if "remove" in request.POST:
            try:
                search = case.network_searches.get(pk=int(request.POST["remove"]))
            except (ValueError, case.network_searches.model.DoesNotExist):
                raise Http404("No such search on this case.") from None
            try:
                network_search_remove(search_id=search.pk, actor=signed_in_user(request))
            except REFUSALS as exc:
                flash_refusal(request, exc)
            return redirect("cases:request_step", pk=case.pk, step="searches")
        if "next" in request.POST:
            return saved_step(request, case, "consent")
        form = NetworkSearchForm(request.POST, prefix="ns")
        if form.is_valid():
            try:
                network_search_add(
                    case_id=case.pk,
                    actor=signed_in_user(request),
                    data=as_data(form.cleaned_data, SearchData),
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Attempt recorded.")
                return htmx_done(request, reverse("cases:request_step", args=[case.pk, "searches"]))
        return self.show_searches(request, case, form, 400)

    # ------------------------------------------------------------------ consent
    def show_consent(self, request, case, form=None, status=200):
        readiness = case_readiness(case)
        check = next(c for c in readiness.checks if c.code == "consent_missing")
        return self.render_step(
            request, case, "consent", status,
            form=form or ConsentForm(prefix="consent"),
            consents=list(case.consents.all()),
            check=check,
            readiness=readiness,
        )  # fmt: skip

    def save_consent(self, request, case):
        if "remove" in request.POST:
            try:
                consent = case.consents.get(pk=int(request.POST["remove"]))
            except (ValueError, case.consents.model.DoesNotExist):
                raise Http404("No such consent on this case.") from None
            try:
                consent_remove(consent_id=consent.pk, actor=signed_in_user(request))
            except REFUSALS as exc:
                flash_refusal(request, exc)
            return redirect("cases:request_step", pk=case.pk, step="consent")
        if "next" in request.POST:
            return saved_step(request, case, "attachments")
        form = ConsentForm(request.POST, request.FILES, prefix="consent")
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("file", None)
            try:
                consent_add(
                    case_id=case.pk,
                    actor=signed_in_user(request),
                    data=as_data(data, ConsentData),
                    file=upload or None,
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Consent recorded.")
                return redirect("cases:request_step", pk=case.pk, step="consent")
        return self.show_consent(request, case, form, 400)


class ConsentDownloadView(PracticeMixin, View):
    def get(self, request, pk):
        consent = get_object_or_404(consents_visible_to(request.user).select_related("case"), pk=pk)
        if not consent.file:
            raise Http404("No scan was uploaded for this consent.")
        return consent_response(request, consent)
