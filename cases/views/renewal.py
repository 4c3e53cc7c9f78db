"""Renewing a case in the browser: a page that shows what the renewal will carry (the agreed
codes, units and rates, the authorization it renews and what was used of it, the day its
period starts) and starts it only when asked (``case_renew``, the one the API calls)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from cases.models import Case, CaseStatus
from cases.permissions import allowed_actions
from cases.renewal_terms import renewal_terms
from cases.selectors.case import get_case_for
from cases.services.renewal import case_renew
from cases.web import PracticeMixin
from core.access import phi_read_cases
from core.auth import signed_in_user
from core.refusals import REFUSALS, error_messages, refusal_status


class RenewalConfirmView(PracticeMixin, View):
    """GET: what the renewal will carry, with "Start the renewal" and Cancel. POST: the new
    draft, then its details step; a refusal (already renewed, the insurer archived, a status
    that cannot be renewed) comes back on this page with its reason and status."""

    role_action = "renew"
    template_name = "cases/renewal_confirm.html"

    def get(self, request, pk):
        case = self._case(request, pk)
        phi_read_cases(request, [case], action="view_case")
        return self._page(request, case)

    def post(self, request, pk):
        case = self._case(request, pk)
        try:
            renewal = case_renew(case_id=case.pk, actor=signed_in_user(request))
        except REFUSALS as exc:
            refusals = [m for msgs in error_messages(exc).values() for m in msgs]
            return self._page(request, case, refusals=refusals, status=refusal_status(exc))
        messages.success(request, "Renewal drafted with the terms shown. Review each step.")
        return redirect("cases:request_step", pk=renewal.pk, step="details")

    def _case(self, request, pk) -> Case:
        case = get_case_for(request.user, pk)  # another practice's case: 404
        self.require(case.practice_id, "renew")
        return case

    def _page(self, request, case: Case, *, refusals: list[str] | None = None, status: int = 200):
        terms = renewal_terms(case)
        context = {
            "nav_section": "cases",
            "case": case,
            "terms": terms,
            "can_renew": "renew" in allowed_actions(case, request.user),
            "existing": case.renewals.exclude(status=CaseStatus.WITHDRAWN).first(),
            "refusals": refusals or [],
        }
        return render(request, self.template_name, context, status=status)
