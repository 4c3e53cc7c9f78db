"""The audit's pages: a rate policy's change history, read by its practice's administrators
(the access log and the other histories are read through the API's ``audit/``)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.generic import TemplateView

from cases.selectors.audit import policy_history
from cases.selectors.reference import rate_policies_visible_to

from .reference import PracticeAdminMixin


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
    path("policies/<id:pk>/history/", PolicyHistoryView.as_view(), name="policy_history"),
]
