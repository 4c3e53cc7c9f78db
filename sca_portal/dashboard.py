"""The dashboard: one page per role, wiring the cases and negotiations selectors."""

from __future__ import annotations

from django.views.generic import TemplateView

from cases.web import PracticeMixin


class DashboardView(PracticeMixin, TemplateView):
    template_name = "dashboard.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["nav_section"] = "dashboard"
        return ctx
