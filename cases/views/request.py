"""The guided SCA request: client → details → services → in-network searches → consent →
attachments → review and submit. Every step saves the draft through the services, so leaving
half-way loses nothing; the review shows the readiness checklist in plain words."""

from __future__ import annotations

import re
import secrets

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View

from cases.forms.case import CaseDetailsForm, SubmitForm
from cases.forms.people import ClientPickForm, NewClientForm
from cases.models import Case, Client, InitiatedBy, Practice, Reason
from cases.selectors.case import case_detail_for
from cases.selectors.people import clients_visible_to
from cases.selectors.readiness import case_readiness
from cases.selectors.submissions import default_channel, insurer_addresses
from cases.services.case import CaseData, case_create, case_update
from cases.services.common import as_data
from cases.services.people import ClientData, client_create
from cases.web import PracticeMixin, htmx_done
from core.access import phi_read_cases, phi_read_clients
from core.auth import signed_in_user
from core.exceptions import DomainError
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
# "Create anyway": a box or button's value read as forms read it ("false" and "0" are no).
CONFIRM = forms.BooleanField(required=False)


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


STEP_LABELS = dict(STEPS)
# Where the review's ✕ items are fixed: every check a step answers (the rest, on the review).
CHECK_STEPS = {code: step for step, codes in STEP_CHECKS.items() for code in codes}


def step_url(case, step: str, *, saved: bool = False) -> str:
    """A step of a draft; ``saved`` marks the arrival from a saved step, whose heading then
    takes the focus (static/js/forms.js), so that the next Tab reaches its first field."""
    return reverse("cases:request_step", args=[case.pk, step]) + ("?saved=1" if saved else "")


def client_url(client_id: int) -> str:
    # The client page is the negotiations app's (registered by name, not imported).
    try:
        return reverse("negotiations:client_page", args=[client_id])
    except NoReverseMatch:
        return reverse("cases:client_edit", args=[client_id])


def _chips(case, readiness) -> tuple[set[str], set[str]]:
    """(done, optional) steps. Done: the step's checks pass and it holds something; a check
    that passes only because it does not apply (no consent needed when the patient
    initiated, no search unless for network inadequacy, no attachment the policy requires)
    leaves the step optional, not ✓."""
    failing = {c.code for c in readiness.failing_errors}
    done = {step for step, codes in STEP_CHECKS.items() if not codes & failing}
    done -= {"consent"} if not case.consents.all() else set()
    done -= {"searches"} if not case.network_searches.all() else set()
    done -= {"attachments"} if not case.attachments.all() else set()
    policy = readiness.policy
    optional = set() if getattr(policy, "required_attachments", None) else {"attachments"}
    if case.initiated_by == InitiatedBy.PATIENT and not (policy and policy.requires_consent):
        optional.add("consent")
    if case.reason != Reason.NETWORK_INADEQUACY:
        optional.add("searches")
    return done, optional


def _step_context(step: str, case=None, client=None, readiness=None, run: str = "") -> dict:
    """The steps bar: a step shows as done when its readiness checks pass (the readiness is
    computed here unless the step already has it)."""
    current = STEP_NAMES.index(step)
    done: set[str] = set()
    optional, urls = {"attachments"}, {}
    if case is not None:
        done, optional = _chips(case, readiness or case_readiness(case))
        urls = {name: step_url(case, name) for name in STEP_NAMES[1:]}
    client = client if client is not None else getattr(case, "client", None)
    if client is not None:  # chosen: a draft links to its client, a new request to step 1
        done.add("client")
        urls["client"] = client_url(client.pk) if case else reverse("cases:request_start")
    steps = [
        {"name": name, "label": label, "done": name in done and i != current,
         "current": i == current, "optional": name in optional, "url": urls.get(name)}
        for i, (name, label) in enumerate(STEPS)
    ]  # fmt: skip
    return {"nav_section": "new", "steps": steps, "step": step, "case": case, "client": client,
            "run": run}  # fmt: skip


# A run of the wizard: its token is in step 2's address, and the session remembers the draft
# the run created, so that Back from step 3 and saving again edits that draft (the page is
# never cached, so the Back button fetches it afresh with a new form token).
RUNS = "request_runs"
RUN = re.compile(r"[A-Za-z0-9_-]{8,32}")


def _details_url(client: Client, *, saved: bool = False) -> str:
    """Step 2 for a client, in a new run (the client's id only: never a name in a URL)."""
    run = secrets.token_urlsafe(12)
    url = reverse("cases:request_start") + f"?client={client.pk}&run={run}"
    return url + ("&saved=1" if saved else "")


def _run_draft(request, run: str) -> Case | None:
    draft_id = request.session.get(RUNS, {}).get(run)
    if draft_id is None:
        return None
    return case_detail_for(request.user).filter(pk=draft_id).first()


def _remember_run(request, run: str, case: Case) -> None:
    runs = dict(request.session.get(RUNS, {}))
    runs[run] = case.pk
    request.session[RUNS] = dict(list(runs.items())[-20:])  # the session stays small


def _duplicate(exc: DomainError) -> dict | None:
    """The notice of a refused duplicate: what exists, where, and "Create anyway"."""
    if exc.code == "duplicate_open_case":
        pk = exc.extra["existing_case"]
        return {"kind": "case", "label": f"SCA #{pk}", "url": reverse("cases:detail", args=[pk])}
    if exc.code == "duplicate_client":
        pk = exc.extra["existing_client"]
        return {"kind": "client", "label": f"client #{pk}", "url": client_url(int(str(pk)))}
    return None


class RequestStartView(PracticeMixin, View):
    """Step 1: pick a client of the practice or create one; then the details form, which
    creates the draft."""

    template_name = "cases/request_client.html"

    def get(self, request):
        client_id = request.GET.get("client")
        if client_id:
            client = self._client(client_id)
            run = request.GET.get("run", "")
            if not RUN.fullmatch(run):
                return redirect(_details_url(client, saved=bool(request.GET.get("saved"))))
            draft = _run_draft(request, run)
            if draft is not None:  # Back to step 2 of this run: its draft, not a new one
                return redirect("cases:request_step", pk=draft.pk, step="details")
            return self.details(request, client)
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

    def render_start(self, request, pick, new, status=200, duplicate=None):
        ctx = _step_context("client") | {"pick_form": pick, "new_form": new}
        ctx["duplicate"] = duplicate
        # The picker lists the practice's clients by name: each one is read.
        phi_read_clients(request, pick.fields["client"].queryset)
        return render(request, self.template_name, ctx, status=status)

    def post(self, request):
        if "create_case" in request.POST:
            return self.create_case(request, self._client(request.POST.get("client_id")))
        pick = ClientPickForm(request.POST, practice_id=self.practice_id)
        new = NewClientForm(prefix="new")
        if request.POST.get("mode") == "new":
            return self.create_client(request)
        if pick.is_valid() and pick.cleaned_data["client"]:
            client = pick.cleaned_data["client"]
            return htmx_done(request, _details_url(client, saved=True))
        pick.add_error("client", "Choose a client, or create a new one below.")
        return self.render_start(request, pick, new, 400)

    def create_client(self, request):
        new = NewClientForm(request.POST, prefix="new")
        duplicate, status = None, 400
        if new.is_valid():
            data = dict(new.cleaned_data)
            confirm = bool(data.pop("confirm_duplicate", False))
            try:
                client = client_create(
                    actor=signed_in_user(request),
                    practice=Practice.objects.get(pk=self.practice_id),
                    data=as_data(data, ClientData),
                    confirm_duplicate=confirm,
                )
            except DomainError as exc:
                duplicate = _duplicate(exc)
                if duplicate is None:
                    add_errors(new, exc)
                status = exc.status
            except REFUSALS as exc:
                add_errors(new, exc)
            else:
                messages.success(request, "Client saved.")
                return htmx_done(request, _details_url(client, saved=True))
        pick = ClientPickForm(practice_id=self.practice_id)
        return self.render_start(request, pick, new, status, duplicate)

    def details(self, request, client, form=None, status=200, duplicate=None):
        form = form or CaseDetailsForm(
            practice_id=self.practice_id, client=client, initial={"insurer": client.insurer_id}
        )
        run = request.POST.get("run") or request.GET.get("run", "")
        ctx = _step_context("details", client=client, run=run) | {
            "form": form, "creating": True, "duplicate": duplicate,
        }  # fmt: skip
        phi_read_clients(request, [client])
        return render(request, "cases/request_details.html", ctx, status=status)

    def create_case(self, request, client):
        form = CaseDetailsForm(request.POST, practice_id=self.practice_id, client=client)
        run = request.POST.get("run", "")
        draft = _run_draft(request, run) if RUN.fullmatch(run) else None
        duplicate, status = None, 400
        if form.is_valid():
            actor = signed_in_user(request)
            data = dict(form.cleaned_data)
            try:
                if draft is not None:  # this run's draft exists (Back, then save): edit it
                    case = case_update(
                        case_id=draft.pk, actor=actor, version=draft.version,
                        data=as_data(data, CaseData),
                    )  # fmt: skip
                else:
                    case = case_create(
                        actor=actor,
                        practice=client.practice,
                        data=as_data(
                            {**data, "client": client, "assigned_to": request.user}, CaseData
                        ),
                        confirm_duplicate=CONFIRM.clean(request.POST.get("confirm_duplicate")),
                    )
            except DomainError as exc:
                duplicate = _duplicate(exc)
                if duplicate is None:
                    add_errors(form, exc)
                status = exc.status
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                if RUN.fullmatch(run):
                    _remember_run(request, run, case)
                messages.success(request, f"Draft SCA #{case.pk} saved.")
                return htmx_done(request, step_url(case, "services", saved=True))
        return self.details(request, client, form, status, duplicate)


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
        return CaseDetailsForm(
            data, initial=initial, practice_id=case.practice_id, client=case.client
        )

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
                return htmx_done(request, step_url(case, "services", saved=True))
        return self.show_details(request, case, form, 400)

    # ------------------------------------------------------------------- review
    def show_review(self, request, case, status=200):
        readiness = case_readiness(case)
        policy = readiness.policy
        preferred = policy.submission_channel if policy else ""
        form = SubmitForm(
            initial={"submission_channel": default_channel(preferred, insurer_addresses(case))}
        )
        # Each ✕ links to the step that fixes it.
        errors = []
        for check in (c for c in readiness.checks if c.severity == "error"):
            fix = None if check.ok else CHECK_STEPS.get(check.code)
            errors.append({"check": check, "label": STEP_LABELS.get(fix or ""),
                           "url": step_url(case, fix) if fix else None})  # fmt: skip
        return self.render_step(
            request, case, "review", status,
            readiness=readiness,
            errors=errors,
            warnings=[c for c in readiness.checks if c.severity == "warning" and not c.ok],
            services=list(case.services.all()),
            submit_form=form,
        )  # fmt: skip

    def save_review(self, request, case):
        # The review's form posts to the submit action; a stray POST here just shows it.
        return self.show_review(request, case)
