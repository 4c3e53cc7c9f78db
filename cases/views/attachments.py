"""Attachments in the browser: a case's clinical documents (a step of the guided request and a
page of the workspace, which ``RequestStepView`` and ``CaseAttachmentsView`` share through
``AttachmentSteps``), and the provider and practice documents kept for every packet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from cases.downloads import attachment_response, provider_document_response
from cases.forms.attachments import AttachmentForm, ProviderDocumentForm
from cases.models import AttachmentKind, Case, CaseAttachment
from cases.selectors.attachments import (
    attachment_for,
    attachments_of,
    days_to_expiry,
    provider_document_for,
    provider_documents_visible_to,
)
from cases.selectors.case import get_case_for
from cases.selectors.readiness import case_readiness
from cases.selectors.readiness_documents import missing_attachments
from cases.selectors.reference import case_policy
from cases.services.attachments import (
    CLOSED_STATUSES,
    attachment_add,
    attachment_archive,
    provider_document_add,
    provider_document_archive,
)
from cases.web import PracticeMixin, htmx_done
from core.access import phi_read_cases
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, flash_refusal

# The readiness checks the attachments step answers (and shows when they fail).
ATTACHMENT_CHECKS = {
    "attachment_missing", "provider_document_missing", "provider_document_expired",
    "provider_document_expiring", "progress_report_missing",
}  # fmt: skip


def missing_kinds(case: Case, attachments: list[CaseAttachment]) -> list[str]:
    """The labels of the kinds the insurer's protocol asks for that the case lacks (the
    readiness rule ``attachment_missing``'s own list)."""
    required = getattr(case_policy(case), "required_attachments", None) or []
    return missing_attachments(required, {a.kind for a in attachments})


def upload_attachment(request: HttpRequest, case: Case, form: AttachmentForm) -> bool:
    """The form's upload through the service; a refusal lands on the form (the typed title
    and the chosen kind stay, the file must be chosen again: browsers never refill it)."""
    if not form.is_valid():
        return False
    try:
        attachment_add(
            case_id=case.pk,
            actor=signed_in_user(request),
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
        )
    except REFUSALS as exc:
        add_errors(form, exc)
        return False
    messages.success(
        request, f"{dict(AttachmentKind.choices)[form.cleaned_data['kind']]} attached."
    )
    return True


def archive_attachment(request: HttpRequest, case: Case, value: str) -> None:
    try:
        attachment = attachments_of(case).get(pk=int(value))
    except (ValueError, CaseAttachment.DoesNotExist):
        raise Http404("No such attachment on this case.") from None
    try:
        attachment_archive(attachment_id=attachment.pk, actor=signed_in_user(request))
    except REFUSALS as exc:
        flash_refusal(request, exc)
    else:
        messages.success(request, f"{attachment.get_kind_display()} archived.")


def attachments_context(case: Case, form: AttachmentForm | None = None) -> dict[str, Any]:
    attachments = list(attachments_of(case))
    return {
        "attachments": attachments,
        "missing_kinds": missing_kinds(case, attachments),
        "form": form or AttachmentForm(prefix="att"),
        "closed": case.status in CLOSED_STATUSES,
    }


class AttachmentSteps:
    """The guided request's attachments step; the view provides ``render_step``."""

    if TYPE_CHECKING:

        def render_step(
            self, request: HttpRequest, case: Case, step: str, status: int = 200, **extra: Any
        ) -> HttpResponse: ...

    def show_attachments(self, request, case, form=None, status=200):
        readiness = case_readiness(case)
        checks = [c for c in readiness.checks if c.code in ATTACHMENT_CHECKS and not c.ok]
        return self.render_step(
            request, case, "attachments", status,
            readiness=readiness, checks=checks,
            **attachments_context(case, form) | {"missing_kinds": []},  # the checks say it
        )  # fmt: skip

    def save_attachments(self, request, case):
        here = reverse("cases:request_step", args=[case.pk, "attachments"])
        if "archive" in request.POST:
            archive_attachment(request, case, request.POST["archive"])
            return redirect(here)
        if "next" in request.POST:
            # ?saved=1: the review's heading takes the focus (static/js/forms.js)
            url = reverse("cases:request_step", args=[case.pk, "review"]) + "?saved=1"
            return htmx_done(request, url)
        form = AttachmentForm(request.POST, request.FILES, prefix="att")
        if upload_attachment(request, case, form):
            return redirect(here)
        return self.show_attachments(request, case, form, 400)


class CaseAttachmentsView(PracticeMixin, View):
    """The case's attachments in any status but closed: list, upload, archive."""

    template_name = "cases/attachments.html"

    def load(self, pk: int) -> Case:
        case = get_case_for(self.request.user, pk)
        self.require(case.practice_id, "case")
        return case

    def page(self, request, case, form=None, status=200):
        ctx = attachments_context(case, form) | {"nav_section": "cases", "case": case}
        phi_read_cases(request, [case])
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.page(request, self.load(pk))

    def post(self, request, pk):
        case = self.load(pk)
        if "archive" in request.POST:
            archive_attachment(request, case, request.POST["archive"])
            return redirect("cases:attachments", pk=case.pk)
        form = AttachmentForm(request.POST, request.FILES, prefix="att")
        if upload_attachment(request, case, form):
            return redirect("cases:attachments", pk=case.pk)
        return self.page(request, case, form, 400)


class AttachmentDownloadView(PracticeMixin, View):
    def get(self, request, pk):
        return attachment_response(request, attachment_for(request.user, pk))


# ----------------------------------------------------------------------------- provider documents


class CredentialsView(PracticeMixin, View):
    """The current practice's provider and practice documents, with their expiry; ``provider``
    narrows the list to one provider's (and the practice's own)."""

    role_action = "people"  # who keeps providers keeps their documents
    template_name = "cases/credentials.html"

    def page(self, request, form=None, status=200):
        today = timezone.localdate()
        rows = provider_documents_visible_to(request.user).filter(
            practice_id=self.practice_id, archived_at__isnull=True
        )
        provider_id = request.GET.get("provider", "")
        if provider_id.isdigit() and len(provider_id) <= 9:
            rows = rows.filter(provider_id=int(provider_id))
        documents = rows.order_by("provider__last_name", "provider_id", "kind", "-created_at")
        ctx = {
            "nav_section": "providers",
            "rows": [(doc, days_to_expiry(doc, today)) for doc in documents],
            "form": form or ProviderDocumentForm(practice_id=self.practice_id, prefix="doc"),
            "filtered": provider_id.isdigit(),
        }
        return render(request, self.template_name, ctx, status=status)

    def get(self, request):
        return self.page(request)

    def post(self, request):
        form = ProviderDocumentForm(
            request.POST, request.FILES, practice_id=self.practice_id, prefix="doc"
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                provider_document_add(
                    practice_id=self.practice_id,
                    actor=signed_in_user(request),
                    provider_id=data["provider"].pk if data["provider"] else None,
                    kind=data["kind"],
                    title=data["title"],
                    expires_on=data["expires_on"],
                    file=data["file"],
                )
            except REFUSALS as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Document kept for every packet.")
                return redirect("cases:credentials")
        return self.page(request, form, 400)


class CredentialArchiveView(PracticeMixin, View):
    role_action = "people"
    http_method_names = ["post"]

    def post(self, request, pk):
        document = provider_document_for(request.user, pk)
        self.require(document.practice_id, "people")
        try:
            provider_document_archive(document_id=document.pk, actor=signed_in_user(request))
        except REFUSALS as exc:
            flash_refusal(request, exc)
            return redirect("cases:credentials")
        messages.success(request, f"{document.get_kind_display()} archived.")
        return redirect("cases:credentials")


class CredentialDownloadView(PracticeMixin, View):
    def get(self, request, pk):
        document = provider_document_for(request.user, pk)
        return provider_document_response(request, document)


urlpatterns = [
    path("cases/<id:pk>/attachments/", CaseAttachmentsView.as_view(), name="attachments"),
    path(
        "attachments/<id:pk>/download/",
        AttachmentDownloadView.as_view(),
        name="attachment_download",
    ),
    path("credentials/", CredentialsView.as_view(), name="credentials"),
    path(
        "credentials/<id:pk>/download/",
        CredentialDownloadView.as_view(),
        name="credential_download",
    ),
    path(
        "credentials/<id:pk>/archive/", CredentialArchiveView.as_view(), name="credential_archive"
    ),
]
