"""The desk's agreement steps: accept the insurer's open offer, or record the approval as
requested. Both take the agreement's terms."""

from __future__ import annotations

from ..forms.agreements import TermsForm
from ..selectors.offers import get_offer_on
from ..services.agreements import case_approve, offer_accept
from .common import DeskView, form_or_refuse


class DeskAcceptView(DeskView):
    step = "accept"

    def act(self, request, case):
        terms = form_or_refuse(TermsForm(request.POST, prefix="terms"))
        offer = get_offer_on(case, request.POST.get("offer"))
        offer_accept(case_id=case.pk, offer_id=offer.pk, actor=request.user, **terms)
        return "Offer accepted: the agreement is recorded."


class DeskApproveView(DeskView):
    step = "approve"

    def act(self, request, case):
        terms = form_or_refuse(TermsForm(request.POST, prefix="terms"))
        case_approve(case_id=case.pk, actor=request.user, **terms)
        return "Approved as requested: the agreement is recorded."
