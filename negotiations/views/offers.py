"""The negotiation panel of the case workspace (offers and counters in time order with the
benchmark table and the suggested counter, and every step's form), and the desk's offer steps:
record the insurer's offer, counter, decline. Billing managers act; staff see."""

from __future__ import annotations

from django.utils import timezone

from cases.models import CaseAction, CaseStatus, PolicyKind
from cases.permissions import allowed_actions, can
from cases.workspace import Panel

from ..forms.agreements import TermsForm
from ..forms.offers import DeclineForm, OfferMetaForm, lines_from_post, rate_inputs
from ..forms.utilization import UtilizationForm
from ..models.offers import OfferParty, OfferStatus
from ..selectors.offers import negotiation_summary, offers_for
from ..selectors.utilization import utilization_summary
from ..services.offers import case_decline, offer_counter, offer_record
from .common import DeskView, form_or_refuse
from .contacts import contact_log_context


def negotiation_panel(request, case) -> Panel | None:
    """The workspace panel, for every case past the draft."""
    if case.is_draft:
        return None
    services_ = list(case.services.all())  # prefetched with their codes by the workspace
    entered = list(offers_for(case))  # entry order: the summary's "latest offer"
    summary = negotiation_summary(case, services=services_, offers=entered)
    offers = sorted(entered, key=lambda o: (o.received_on, o.created_at, o.pk))
    billing = can(request.user, case.practice_id, "offers")
    # The lifecycle's table decides (status and role); counters add the policy's rule.
    actions = allowed_actions(case, request.user)
    open_offer = next((o for o in offers if o.status == OfferStatus.OPEN), None)
    insurer_open = open_offer is not None and open_offer.party == OfferParty.INSURER
    suggested = {}
    rows = {(row["code"], row["modifier"]): row for row in summary["rows"]}
    for s in services_:
        row = rows.get((s.billing_code.code, s.modifier))
        if row and row["suggested_counter"] is not None:
            suggested[s.pk] = row["suggested_counter"]
    agreement = getattr(case, "agreement", None) if case.status in (
        CaseStatus.APPROVED, CaseStatus.EXPIRED
    ) else None  # fmt: skip
    utilization = None
    agreement_lines = []
    if agreement is not None:
        agreement_lines = list(agreement.lines.select_related("billing_code"))
        utilization = utilization_summary(agreement)
    agreed = summary["agreement"]
    flags = agreed["flags"] if agreed else None
    warnings = []
    if flags and flags.get("missing_codes"):
        warnings.append(
            "Requested codes left out of the agreement: "
            + ", ".join(flags["missing_codes"])
            + ". Claims for them will be denied; ask the insurer to add them."
        )
    if flags and flags.get("below_floor"):
        warnings.append("Agreed below the practice's floor: " + ", ".join(flags["below_floor"]))
    today = timezone.localdate()
    return Panel(
        template="negotiations/panel.html",
        context={
            "summary": summary,
            "offers": offers,
            "open_offer": open_offer,
            "billing": billing,
            "negotiable": summary["negotiable"],
            "policy": summary["policy"],
            "policy_label": PolicyKind(summary["policy"]["kind"]).label
            if summary["policy"]
            else "",
            "can_record_offer": CaseAction.RECEIVE_OFFER in actions,
            # A counter answers the insurer's open offer: accepting's status and role, and a
            # negotiable policy (offer_counter enforces the same).
            "can_counter": CaseAction.ACCEPT in actions and summary["negotiable"] and insurer_open,
            "can_accept": CaseAction.ACCEPT in actions and insurer_open,
            "can_approve": CaseAction.APPROVE in actions,
            "can_decline": CaseAction.DECLINE in actions,
            "offer_inputs": rate_inputs(services_, "offer"),
            "counter_inputs": rate_inputs(services_, "counter", suggested),
            "meta_form": OfferMetaForm(prefix="meta", initial={"received_on": today}),
            "terms_form": TermsForm(
                prefix="terms",
                initial={
                    "start_date": case.requested_start,
                    "end_date": case.requested_end,
                    "sessions_authorized": case.sessions_requested,
                },
            ),
            "decline_form": DeclineForm(prefix="decline"),
            **contact_log_context(case),
            "agreement": summary["agreement"],
            "agreement_warnings": warnings,
            "utilization": utilization,
            "utilization_form": UtilizationForm(prefix="use", lines=agreement_lines)
            if agreement is not None
            else None,
            "case": case,
        },
    )  # fmt: skip


class DeskOfferView(DeskView):
    step = "offer"

    def act(self, request, case):
        meta = form_or_refuse(OfferMetaForm(request.POST, prefix="meta"))
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        services_ = case.services.select_related("billing_code")
        lines = lines_from_post(request.POST, services_, "offer", require_all=False)
        offer_record(case_id=case.pk, actor=request.user, lines=lines, **meta)
        return "The insurer's offer is recorded."


class DeskCounterView(DeskView):
    step = "counter"

    def act(self, request, case):
        services_ = case.services.select_related("billing_code")
        lines = lines_from_post(request.POST, services_, "counter", require_all=False)
        offer_counter(case_id=case.pk, actor=request.user, lines=lines)
        return "Counter-offer recorded. Send it to the insurer and log the contact."


class DeskDeclineView(DeskView):
    step = "decline"

    def act(self, request, case):
        data = form_or_refuse(DeclineForm(request.POST, prefix="decline"))
        case_decline(case_id=case.pk, actor=request.user, reason=data["reason"])
        return "Declined. The case is closed."
