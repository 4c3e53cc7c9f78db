"""The audit's pages, for the practice's administrators: the access log (who read which
clients and cases, when, from where) with its CSV export, and a rate policy's change history
(the other histories are read through the API's ``audit/changes/``).

The access log page and its export are not logged: they show users, routes, addresses and the
ids of clients and cases, never a patient's name or record (a read of them would also add an
entry to what is being read, without end)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views import View
from django.views.generic import TemplateView

from cases.forms.audit import AccessLogFilterForm
from cases.models import AccessLog
from cases.selectors.audit import policy_history
from cases.selectors.audit_log import (
    access_log_csv_lines,
    access_log_of,
    filter_access_log,
    subject_ids,
)
from cases.selectors.reference import rate_policies_visible_to
from cases.web import PracticeMixin
from core.api import fetch_page

from .reference import PracticeAdminMixin

PAGE_SIZE = 50
# A row lists this many clients or cases; more (a list's page) fold into a disclosure.
SUBJECTS_SHOWN = 5
# An id no record has yet, reversed once and replaced per link (see ``subject_links``).
PLACEHOLDER = "999999999"


def subject_links(ids: list[int], url_name: str, label: str, noun: str) -> SafeString:
    """Links to the clients' or cases' pages, by number only (a name here would be a read of
    patient data). ``label`` is a constant of this module. Built in Python with one
    ``reverse`` per column: a list's entry carries 25 of each, so a page of 50 such entries
    has 2,500 links; a template ``{% url %}`` per link took 0.3 s to draw them, format_html
    per link 0.1 s."""
    if not ids:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
    # Escaped once; the rest is ints and the constant label.
    pattern = escape(reverse(url_name, args=[PLACEHOLDER]))
    links = mark_safe(  # noqa: S308 - an escaped URL, int ids and a constant label
        ", ".join(
            f'<a href="{pattern.replace(PLACEHOLDER, str(int(pk)))}">{label}{int(pk)}</a>'
            for pk in ids
        )
    )
    if len(ids) <= SUBJECTS_SHOWN:
        return links
    return format_html("<details><summary>{} {}</summary>{}</details>", len(ids), noun, links)


def _row(entry: AccessLog) -> tuple[AccessLog, SafeString, SafeString]:
    clients, cases = subject_ids(entry)
    return (
        entry,
        subject_links(clients, "cases:client_edit", "Client #", "clients"),
        subject_links(cases, "cases:detail", "SCA #", "cases"),
    )


class AccessLogView(PracticeMixin, View):
    """The current practice's access log, newest first, 50 a page (no count: ``fetch_page``).
    Filters by GET: they are ids and codes, never a name."""

    role_action = "practice"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = AccessLogFilterForm(request.GET, practice_id=self.practice_id)
        rows: list[AccessLog] = []
        number, has_next = 1, False
        if form.is_valid():
            number = form.cleaned_data.get("page") or 1
            entries = filter_access_log(access_log_of([self.practice_id]), form.query())
            rows, has_next = fetch_page(entries, number, PAGE_SIZE, load_direct=list)
        filters = request.GET.copy()
        filters.pop("page", None)
        context = {
            "nav_section": "audit",
            "form": form,
            # (entry, its clients' links, its cases' links)
            "rows": [_row(row) for row in rows],
            "page": number,
            "has_next": has_next,
            "filters": filters.urlencode(),
        }
        return render(
            request, "cases/audit_log.html", context, status=200 if form.is_valid() else 400
        )


class AccessLogExportView(PracticeMixin, View):
    """The page's entries under its filters as CSV (at most EXPORT_LIMIT rows), streamed."""

    role_action = "practice"

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        form = AccessLogFilterForm(request.GET, practice_id=self.practice_id)
        if not form.is_valid():
            context = {"nav_section": "audit", "form": form, "rows": [], "page": 1}
            return render(request, "cases/audit_log.html", context, status=400)
        entries = filter_access_log(access_log_of([self.practice_id]), form.query())
        response = StreamingHttpResponse(
            access_log_csv_lines(entries), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
        return response


class PolicyHistoryView(PracticeAdminMixin, TemplateView):
    template_name = "cases/ratepolicy_history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        policy = get_object_or_404(
            rate_policies_visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        self.require(policy.practice_id, "reference")
        ctx.update(policy=policy, insurer=policy.insurer, entries=policy_history(policy))
        return ctx


urlpatterns = [
    path("audit/", AccessLogView.as_view(), name="audit"),
    path("audit/export.csv", AccessLogExportView.as_view(), name="audit_export"),
    path("policies/<id:pk>/history/", PolicyHistoryView.as_view(), name="policy_history"),
]
