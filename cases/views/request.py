"""The guided SCA request: client → details → services → in-network searches → consent →
attachments → review and submit. Every step saves the draft through the services, so leaving
half-way loses nothing; the review shows the readiness checklist in plain words."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cases.forms.case import CaseDetailsForm, SubmitForm
from cases.forms.people import ClientPickForm, NewClientForm
from cases.models import Client, Practice
from cases.selectors.case import case_detail_for
from cases.selectors.people import clients_visible_to
from cases.selectors.readiness import case_readiness
from cases.services.case import CaseData, case_create, case_update
from cases.services.common import as_data
from cases.services.people import ClientData, client_create
from cases.web import PracticeMixin, htmx_done
from core.access import phi_read_cases, phi_read_clients
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors

from .attachments import ATTACHMENT_CHECKS, AttachmentSteps
from .parts import PartsSteps

STEPS = [
    ("client", "Client"),
    ("details", "Insurer and dates"),
    ("services", "Services"),
    ("searches", "In-network search"),
    ("consent", "Consent"),
    ("attachments", "Attachments"),
    ("review", "Review and submit"),
]
STEP_NAMES = [s for s, _ in STEPS]


# Which readiness checks each step answers: a step shows as done when they all pass.
STEP_CHECKS = {
    "details": {"provider_missing", "justification_missing", "period_invalid", "period_too_long",
                "treatment_already_started",
                "sessions_exceed_remaining", "period_already_started", "treatment_start_missing",
                "remaining_missing"},
    "services": {"no_services", "code_not_aba", "code_inactive", "units_exceed_remaining",
                 "rate_missing"},
    "searches": {"network_search_incomplete", "network_search_stale"},
    "consent": {"consent_missing"},
    "attachments": ATTACHMENT_CHECKS,
}  # fmt: skip


def _complete_steps(readiness) -> set[str]:
    failing = {c.code for c in readiness.failing_errors}
    return {"client"} | {step for step, codes in STEP_CHECKS.items() if not codes & failing}


def _step_context(step: str, case=None, client=None, readiness=None) -> dict:
    """The steps bar: a step shows as done when its readiness checks pass (the readiness is
    computed here unless the step already has it)."""
    current = STEP_NAMES.index(step)
    complete = set()
    optional = {"attachments"}  # unless the insurer's protocol names kinds it requires
    if case is not None:
        readiness = readiness or case_readiness(case)
        complete = _complete_steps(readiness)
        if getattr(readiness.policy, "required_attachments", None):
            optional = set()
    if case is None and client is not None:
        complete = {"client"}
    return {
        "nav_section": "new",
        "steps": [
            {
                "name": name,
                "label": label,
                "done": name in complete and i != current,
                "current": i == current,
                "optional": name in optional,
                "url": reverse("cases:request_step", args=[case.pk, name])
                if case is not None and name != "client"
                else None,
            }
            for i, (name, label) in enumerate(STEPS)
        ],
        "step": step,
        "case": case,
        "client": client if client is not None else getattr(case, "client", None),
    }


class RequestStartView(PracticeMixin, View):
    """Step 1: pick a client of the practice or create one; then the details form, which
    creates the draft."""

    template_name = "cases/request_client.html"

    def get(self, request):
        client_id = request.GET.get("client")
        if client_id:
            return self.details(request, self._client(client_id))
        return self.render_start(
            request, ClientPickForm(practice_id=self.practice_id), NewClientForm(prefix="new")
        )

    def _client(self, client_id) -> Client:
        try:
            pk = int(client_id)
        except (TypeError, ValueError):
            raise Http404("No such client.") from None
        return get_object_or_404(
            clients_visible_to(self.request.user).filter(
                practice_id=self.practice_id, is_active=True
            ),
            pk=pk,
        )

    def render_start(self, request, pick, new, status=200):
        ctx = _step_context("client") | {"pick_form": pick, "new_form": new}
        # The picker lists the practice's clients by name: each one is read.
        phi_read_clients(request, pick.fields["client"].queryset)
        return render(request, self.template_name, ctx, status=status)

    def post(self, request):
        if "create_case" in request.POST:
            return self.create_case(request, self._client(request.POST.get("client_id")))
        pick = ClientPickForm(request.POST, practice_id=self.practice_id)
        new = NewClientForm(prefix="new")
        if request.POST.get("mode") == "new":
            new = NewClientForm(request.POST, prefix="new")
            if new.is_valid():
                try:
                    client = client_create(
                        actor=signed_in_user(request),
                        practice=Practice.objects.get(pk=self.practice_id),
                        data=as_data(new.cleaned_data, ClientData),
                    )
                except REFUSALS as exc:
                    add_errors(new, exc)
                else:
                    messages.success(request, "Client saved.")
                    return htmx_done(
                        request, reverse("cases:request_start") + f"?client={client.pk}"
                    )
            return self.render_start(
                request, ClientPickForm(practice_id=self.practice_id), new, 400
            )
        if pick.is_valid() and pick.cleaned_data["client"]:
            client = pick.cleaned_data["client"]
            url = reverse("cases:request_start") + f"?client={client.pk}"
            return htmx_done(request, url)
        pick.add_error("client", "Choose a client, or create a new one below.")
        return self.render_start(request, pick, new, 400)

    def details(self, request, client, form=None, status=200):
        form = form or CaseDetailsForm(
            practice_id=self.practice_id, initial={"insurer": client.insurer_id}
        )
        ctx = _step_context("details", client=client) | {"form": form, "creating": True}
        phi_read_clients(request, [client])
        return render(request, "cases/request_details.html", ctx, status=status)

    def create_case(self, request, client):
        form = CaseDetailsForm(request.POST, practice_id=self.practice_id)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                case = case_create(
                    actor=signed_in_user(request),
                    practice=client.practice,
                    data=as_data({**data, "client": client, "assigned_to": request.user}, CaseData),
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Draft SCA #{case.pk} saved.")
                return htmx_done(request, reverse("cases:request_step", args=[case.pk, "services"]))
        return self.details(request, client, form, status=400)


class RequestStepView(PartsSteps, AttachmentSteps, PracticeMixin, View):
    """Steps 2–7 of an existing draft."""

    def dispatch(self, request, *args, **kwargs):
        if kwargs.get("step") not in STEP_NAMES[1:]:
            raise Http404("No such step.")
        return super().dispatch(request, *args, **kwargs)

    def load(self, pk):
        case = get_object_or_404(case_detail_for(self.request.user), pk=pk)
        self.require(case.practice_id, "case")
        return case

    def get(self, request, pk, step):
        case = self.load(pk)
        if not case.is_draft:
            messages.info(request, "This case has been submitted; its request is read-only.")
            return redirect("cases:detail", pk=case.pk)
        if step == "services" and request.GET.get("rate_for"):
            return self.rate_field(request, case)
        return getattr(self, f"show_{step}")(request, case)

    def post(self, request, pk, step):
        case = self.load(pk)
        return getattr(self, f"save_{step}")(request, case)

    def render_step(self, request, case, step, status=200, **extra):
        ctx = _step_context(step, case, readiness=extra.get("readiness")) | extra
        phi_read_cases(request, [case])
        return render(request, f"cases/request_{step}.html", ctx, status=status)

    # ------------------------------------------------------------------ details
    def details_form(self, case, data=None):
        initial = {
            name: getattr(case, name)
            for name in CaseDetailsForm.base_fields
            if name not in ("insurer", "provider")
        } | {"insurer": case.insurer_id, "provider": case.provider_id}
        return CaseDetailsForm(data, initial=initial, practice_id=case.practice_id)

    def show_details(self, request, case, form=None, status=200):
        return self.render_step(
            request, case, "details", status, form=form or self.details_form(case)
        )

    def save_details(self, request, case):
        form = self.details_form(case, request.POST)
        if form.is_valid():
            try:
                case_update(
                    case_id=case.pk,
                    actor=signed_in_user(request),
                    version=request.POST.get("version"),
                    data=form.cleaned_data,
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                return htmx_done(request, reverse("cases:request_step", args=[case.pk, "services"]))
        return self.show_details(request, case, form, 400)

    # ------------------------------------------------------------------- review
    def show_review(self, request, case, status=200):
        readiness = case_readiness(case)
        policy = readiness.policy
        form = SubmitForm(
            initial={"submission_channel": policy.submission_channel if policy else ""}
        )
        return self.render_step(
            request, case, "review", status,
            readiness=readiness,
            errors=[c for c in readiness.checks if c.severity == "error"],
            warnings=[c for c in readiness.checks if c.severity == "warning" and not c.ok],
            services=list(case.services.all()),
            submit_form=form,
        )  # fmt: skip

    def save_review(self, request, case):
        # The review's form posts to the submit action; a stray POST here just shows it.
        return self.show_review(request, case)
