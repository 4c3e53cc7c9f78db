"""Generated documents in the browser: ask for one, follow its rendering, download it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cases.downloads import document_response
from cases.models import DocumentKind, DocumentStatus
from cases.selectors.case import get_case_for
from cases.selectors.documents import documents_visible_to
from cases.selectors.packet import documents_listed
from cases.services.documents import document_request
from cases.web import PracticeMixin
from core.access import phi_read_cases
from core.auth import signed_in_user
from core.refusals import REFUSALS, error_messages, flash_refusal, refusal_status

# Button labels: "Generate the request letter", "... the consent form", and so on.
DOCUMENT_BUTTONS: dict[str, str] = {
    DocumentKind.REQUEST_LETTER: "request letter",
    DocumentKind.CONSENT_FORM: "consent form",
    DocumentKind.AGREEMENT_SUMMARY: "agreement summary",
    DocumentKind.SUBMISSION_PACKET: "submission packet",
    DocumentKind.APPEAL_LETTER: "appeal letter",
    DocumentKind.COUNTER_LETTER: "counter-offer letter",
}


class DocumentCreateView(PracticeMixin, View):
    def post(self, request, pk):
        case = get_case_for(request.user, pk)
        self.require(case.practice_id, "case")
        try:
            document, _created = document_request(
                case_id=case.pk, actor=signed_in_user(request), kind=request.POST.get("kind", "")
            )
        except REFUSALS as exc:
            if request.htmx:
                msgs = [m for ms in error_messages(exc).values() for m in ms]
                return render(
                    request,
                    "cases/document_list.html",
                    {
                        "documents": documents_listed(case),
                        "document_errors": msgs,
                    },
                    status=refusal_status(exc),
                )
            flash_refusal(request, exc)
            return redirect("cases:detail", pk=case.pk)
        if request.htmx:
            documents = documents_listed(case)
            return render(request, "cases/document_list.html", {"documents": documents})
        return redirect(reverse("cases:detail", args=[case.pk]) + "#documents")


class DocumentStatusView(PracticeMixin, View):
    """The document's row; while it renders, the row asks again by itself (htmx)."""

    def get(self, request, pk):
        document = get_object_or_404(
            documents_visible_to(request.user).select_related("case"), pk=pk
        )
        # The row asks again, less often as time passes, and gives up after about 8 minutes
        # (the sweeper resends stuck documents; a reload shows the outcome).
        try:
            poll = min(max(int(request.GET.get("poll", "0")), 0), 60)
        except ValueError:
            poll = 0
        phi_read_cases(request, [document.case])
        return render(request, "cases/document_row.html", {"doc": document, "poll": poll})


class DocumentDownloadView(PracticeMixin, View):
    def get(self, request, pk):
        document = get_object_or_404(
            documents_visible_to(request.user).select_related("case"), pk=pk
        )
        if document.status != DocumentStatus.READY or not document.file:
            messages.error(request, f"The document is {document.get_status_display().lower()}.")
            return redirect("cases:detail", pk=document.case_id)
        return document_response(request, document)
