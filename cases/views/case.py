"""The case list, its CSV export, the case workspace, and its lifecycle and tracking forms."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from cases.forms.appeals import DenyForm, denial_panel
from cases.forms.case import CaseFilterForm, ReasonForm, SubmitForm, TrackingForm
from cases.forms.submissions import SubmissionForm
from cases.models import Case, CaseAction, CaseStatus, Reason, ServiceType
from cases.permissions import allowed_actions, can
from cases.selectors.attachments import attachments_of
from cases.selectors.case import case_events, case_workspace_for, cases_visible_to, get_case_for
from cases.selectors.documents import document_kinds_for
from cases.selectors.packet import documents_listed
from cases.selectors.readiness import case_readiness
from cases.selectors.submissions import default_channel, insurer_addresses, sendable_documents
from cases.services.case import case_set_tracking, case_withdraw
from cases.services.submissions import case_submit, submission_record
from cases.web import PracticeMixin
from cases.workspace import panels_for
from core.access import phi_read, phi_read_cases
from core.api import fetch_page
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, flash_refusal, refusal_status

from .documents import DOCUMENT_BUTTONS
from .submissions import PANEL_TEMPLATE, submission_panel

PAGE_SIZE = 25
EXPORT_LIMIT = 50_000


def _filtered_cases(
    request: HttpRequest, practice_id: int, data: QueryDict
) -> tuple[CaseFilterForm, QuerySet[Case] | None]:
    form = CaseFilterForm(data, practice_id=practice_id)
    if not form.is_valid():
        return form, None
    # What the rows show: the client, provider, insurer and assignee (not the practice).
    queryset = (
        cases_visible_to(request.user)
        .filter(practice_id=practice_id)
        .select_related("client", "provider", "insurer", "assigned_to")
    )
    queryset = form.apply(queryset, search_practice_ids=[practice_id])
    return form, queryset


class CaseListView(PracticeMixin, View):
    """Filters arrive by GET (links from the dashboard) or POST (the form); the search text
    only by POST, so a client's name or member id never appears in a URL or a log."""

    template_name = "cases/case_list.html"

    def get(self, request):
        data = request.GET.copy()
        data.pop("q", None)
        return self.render_list(request, data)

    def post(self, request):
        return self.render_list(request, request.POST)

    def render_list(self, request, data):
        form, queryset = _filtered_cases(request, self.practice_id, data)
        rows: list[Case] = []
        has_next, number = False, 1
        if queryset is not None:
            number = form.cleaned_data.get("page") or 1
            # A shallow page is one query; a deep one finds its ids first (fetch_page).
            rows, has_next = fetch_page(queryset, number, PAGE_SIZE, load_direct=list)
            searched = bool(form.cleaned_data.get("q"))
            phi_read_cases(request, rows, action="search" if searched else "read")
            if searched and not rows:  # a search that found nobody is still logged
                phi_read(request, practice_id=self.practice_id, action="search")
        today = timezone.localdate()
        context = {
            "nav_section": "cases",
            "form": form,
            "rows": rows,
            "page": number,
            "has_next": has_next,
            "today": today,
            "first_row": (number - 1) * PAGE_SIZE + 1,
            "last_row": (number - 1) * PAGE_SIZE + len(rows),
        }
        template = "cases/case_list_results.html" if request.htmx else self.template_name
        return render(request, template, context, status=200 if form.is_valid() else 400)


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection): a leading
    = + - @ tab or return is escaped with an apostrophe."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class CaseExportView(PracticeMixin, View):
    """The filtered list as CSV (POST, like the search)."""

    def post(self, request):
        form, queryset = _filtered_cases(request, self.practice_id, request.POST)
        if queryset is None:
            messages.error(request, "Fix the filters before exporting.")
            return redirect("cases:list")
        rows = queryset.select_related(None).values_list(
            "pk", "client__last_name", "client__first_name", "client__member_id", "insurer__name",
            "provider__last_name", "provider__first_name", "status", "reason", "service_type",
            "requested_start", "requested_end", "submitted_at", "follow_up_on",
            "insurer_reference", "authorization_number", "created_at",
        )[:EXPORT_LIMIT]  # fmt: skip
        labels = {**dict(CaseStatus.choices), **dict(Reason.choices), **dict(ServiceType.choices)}
        # The export's clients and cases, logged before the first line is sent.
        phi_read(
            request,
            practice_id=self.practice_id,
            pairs=queryset.values_list("client_id", "pk")[:EXPORT_LIMIT],
            action="export_cases",
        )

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        header = [
            "case", "client", "member id", "insurer", "provider", "status", "reason",
            "service type", "from", "to", "submitted", "follow-up", "insurer reference",
            "authorization", "created",
        ]  # fmt: skip

        def lines():
            yield writer.writerow(header)
            for r in rows.iterator(chunk_size=2000):
                provider = f"{r[5]}, {r[6]}" if r[5] else ""
                yield writer.writerow(
                    [
                        r[0], _cell(f"{r[1]}, {r[2]}"), _cell(r[3]), _cell(r[4]), _cell(provider),
                        labels.get(r[7], r[7]), labels.get(r[8], r[8]), labels.get(r[9], r[9]),
                        r[10] or "", r[11] or "",
                        timezone.localtime(r[12]).date() if r[12] else "", r[13] or "",
                        _cell(r[14]), _cell(r[15]), timezone.localtime(r[16]).date(),
                    ]
                )  # fmt: skip

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="sca-cases-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


def _case_or_404(request, pk):
    return get_case_for(request.user, pk)


class CaseWorkspaceView(PracticeMixin, TemplateView):
    template_name = "cases/case_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        case = get_object_or_404(case_workspace_for(self.request.user), pk=kwargs["pk"])
        phi_read_cases(self.request, [case], action="view_case")
        readiness = case_readiness(case) if case.is_draft else None
        actions = allowed_actions(case, self.request.user)
        attachments = list(attachments_of(case))  # one query, however many
        today = timezone.localdate()
        ctx.update(
            nav_section="cases",
            case=case,
            readiness=readiness,
            actions=actions,
            lifecycle_actions=[a for a in actions if a in ("submit", "deny", "withdraw", "renew")],
            can_work=can(self.request.user, case.practice_id, "case"),
            can_negotiate=can(self.request.user, case.practice_id, "offers"),
            documents=documents_listed(case),
            attachments=attachments,
            document_kinds=[(kind, DOCUMENT_BUTTONS[kind]) for kind in document_kinds_for(case)],
            events=list(case_events(case).order_by("-created_at", "-id")[:100]),
            tracking_form=TrackingForm(
                initial={"assigned_to": case.assigned_to_id, "follow_up_on": case.follow_up_on},
                practice_id=case.practice_id,
            ),
            submit_form=SubmitForm(
                initial={
                    "submission_channel": default_channel(
                        readiness.policy.submission_channel, insurer_addresses(case)
                    )
                }
                if readiness and readiness.policy
                else None
            ),
            reason_form=ReasonForm(),
            # A refused denial, appeal or decision comes back with what was typed
            # (views/appeals.py).
            deny_form=kwargs.get("deny_form")
            or (
                DenyForm(prefix="deny", initial={"received_on": today})
                if CaseAction.DENY in actions
                else None
            ),
            denial=denial_panel(
                case,
                actions=actions,
                attachments=attachments,
                appeal_form=kwargs.get("appeal_form"),
                decide_form=kwargs.get("decide_form"),
                decide_appeal=kwargs.get("decide_appeal"),
            ),
            panels=panels_for(self.request, case),
            today=today,
        )
        # A refused re-send comes back with what was typed (views/submissions.py).
        ctx["submission_panel"] = submission_panel(
            self.request, case, documents=ctx["documents"], form=kwargs.get("submission_form")
        )
        return ctx


class CaseTrackingView(PracticeMixin, View):
    """Assignee and follow-up date: tracking fields, open to staff at any status."""

    def post(self, request, pk):
        case = _case_or_404(request, pk)
        self.require(case.practice_id, "case")
        form = TrackingForm(request.POST, practice_id=case.practice_id)
        if form.is_valid():
            try:
                case_set_tracking(
                    case_id=case.pk,
                    actor=signed_in_user(request),
                    assigned_to=form.cleaned_data["assigned_to"],
                    follow_up_on=form.cleaned_data["follow_up_on"],
                )
                messages.success(request, "Assignee and follow-up saved.")
            except REFUSALS as exc:
                flash_refusal(request, exc)
        else:
            for errors in form.errors.values():
                for error in errors:  # ErrorList hands out its messages as text
                    messages.error(request, str(error))
        return redirect("cases:detail", pk=case.pk)


class CaseActionView(PracticeMixin, View):
    """Submit and withdraw (a denial has its form: views/appeals.py; a renewal its
    confirmation page: views/renewal.py). The status and role rules are the services' and
    ``allowed_actions``'; a refused action comes back as a message on the workspace."""

    def post(self, request, pk, action):
        case = _case_or_404(request, pk)
        if action not in (CaseAction.SUBMIT, CaseAction.WITHDRAW):
            raise Http404("No such action.")
        self.require(case.practice_id, "case")
        try:
            if action == CaseAction.SUBMIT:
                form = SubmitForm(request.POST)
                if not form.is_valid():
                    raise ValidationError({name: list(errs) for name, errs in form.errors.items()})
                case_submit(
                    case_id=case.pk,
                    actor=signed_in_user(request),
                    submission_channel=form.cleaned_data.get("submission_channel", ""),
                    insurer_reference=form.cleaned_data.get("insurer_reference", ""),
                    sent_to=form.cleaned_data.get("sent_to", ""),
                    confirmation=form.cleaned_data.get("confirmation", ""),
                )
                messages.success(request, "Submitted. The case now waits on the insurer.")
            else:
                reason_form = ReasonForm(request.POST)
                # A refused reason (blank, too long) goes to the service, which says why.
                reason = (
                    reason_form.cleaned_data["reason"]
                    if reason_form.is_valid()
                    else request.POST.get("reason", "")
                )
                case_withdraw(case_id=case.pk, actor=signed_in_user(request), reason=reason)
                messages.success(request, "Withdrawn.")
        except REFUSALS as exc:
            flash_refusal(request, exc)
            if action == CaseAction.SUBMIT and case.is_draft:
                return redirect("cases:request_step", pk=case.pk, step="review")
        return redirect("cases:detail", pk=case.pk)


def workspace_refused(
    view: PracticeMixin, request: HttpRequest, case: Case, status: int, **forms: Any
) -> HttpResponse:
    """The whole workspace again, answered with the refusal's status, with the refused form
    bound (``forms``: the context names get_context_data reads): what was typed, and the
    errors beside the fields they name."""
    workspace = CaseWorkspaceView()
    workspace.setup(request, pk=case.pk)
    workspace.practice_id, workspace.role = view.practice_id, view.role
    context = workspace.get_context_data(pk=case.pk, **forms)
    return render(request, workspace.template_name, context, status=status)


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
        return workspace_refused(self, request, case, status, submission_form=form)
