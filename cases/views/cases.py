"""The case list, its CSV export, the case workspace, lifecycle actions and documents."""

from __future__ import annotations

from django.views import View
from django.views.generic import TemplateView

from cases.web import PracticeMixin


class CaseListView(PracticeMixin, TemplateView):
    template_name = "cases/case_list.html"


class CaseExportView(PracticeMixin, View):
    pass


class CaseWorkspaceView(PracticeMixin, TemplateView):
    template_name = "cases/case_detail.html"


class CaseTrackingView(PracticeMixin, View):
    pass


class CaseActionView(PracticeMixin, View):
    pass


class DocumentCreateView(PracticeMixin, View):
    pass


class DocumentStatusView(PracticeMixin, View):
    pass


class DocumentDownloadView(PracticeMixin, View):
    pass


class ConsentDownloadView(PracticeMixin, View):
    pass
