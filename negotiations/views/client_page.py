"""The client page: a client's demographics and every SCA of theirs, with agreements and their
use, documents, consents and attachments, and the start of a new request for the client."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.views.generic import TemplateView

from cases.web import PracticeMixin
from core.access import phi_read_cases, phi_read_clients

from ..selectors.client_page import client_page


class ClientPageView(PracticeMixin, TemplateView):
    template_name = "negotiations/client_page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        page = client_page(self.request.user, kwargs["pk"])
        self.require(page.client.practice_id, "case")
        # The client, and every case of theirs the page lists (one access-log entry).
        phi_read_clients(self.request, [page.client], action="view_client")
        phi_read_cases(self.request, [row.case for row in page.cases], action="view_client")
        return {
            **super().get_context_data(**kwargs),
            "nav_section": "clients",
            "page": page,
            "client": page.client,
        }


urlpatterns: list[URLPattern] = [
    path("clients/<id:pk>/", ClientPageView.as_view(), name="client_page"),
]
