"""The negotiation panel of the case workspace (offers and counters in time order with the
benchmark table and the suggested counter, and every step's form), and the desk's offer steps:
record the insurer's offer, counter, decline. Billing managers act; staff see. A step refused
on its input comes back here bound to what was typed (views.common.DeskView.refused_in_place)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import CaseAction, CaseStatus, PolicyKind
from cases.permissions import allowed_actions, can
from cases.workspace import Panel
from core.refusals import add_errors, error_messages, error_summary

from ..forms.agreements import TermsForm
from ..forms.offers import (
    CounterMetaForm,
    DeclineForm,
    LineForms,
    OfferMetaForm,
    offer_details,
)
from ..forms.utilization import UtilizationForm
from ..models.offers import OfferParty, OfferStatus
from ..selectors.offers import negotiation_summary, offers_for
from ..selectors.utilization import utilization_summary
from ..services.offers import case_decline, offer_counter, offer_record
from .common import DeskRefusal, DeskView, desk_refusal, form_or_refuse
from .contacts import contact_log_context

# Each line form's prefix, and its details' (the offer's meta form keeps its "meta" of old).
OFFER, COUNTER = "offer", "counter"
META_PREFIX = {OFFER: "meta", COUNTER: "counter-meta"}


def _step_forms(request, case, services_, suggested, refusal: DeskRefusal | None) -> dict:
    """The offer, counter, terms and decline forms: blank (prefilled), or, for the step refused,
    bound to what was typed with the refusal beside the fields it names. A refusal that came
    from the form itself is shown again by binding it; one from the service is added."""
    today = timezone.localdate()
    step = refusal.step if refusal else ""
    data = request.POST if refusal else None
    offer_lines = LineForms(services_, OFFER, data=data if step == OFFER else None)
    counter_lines = LineForms(
        services_,
        COUNTER,
        data=data if step == COUNTER else None,
        counter=True,
        initial={s.pk: {"rate": suggested.get(s.pk), "units": s.units} for s in services_},
    )
    meta = {
        OFFER: OfferMetaForm(
            data if step == OFFER else None,
            prefix=META_PREFIX[OFFER],
            initial={"received_on": today},
        ),
        COUNTER: CounterMetaForm(
            data if step == COUNTER else None,
            prefix=META_PREFIX[COUNTER],
            initial={"received_on": today},
        ),
    }
    decline = DeclineForm(data if step == "decline" else None, prefix="decline")
    terms = TermsForm(
        data if step in ("accept", "approve") else None,
        prefix="terms",
        initial={
            "start_date": case.requested_start,
            "end_date": case.requested_end,
            "sessions_authorized": case.sessions_requested,
        },
    )
    if refusal is not None:
        errors = error_messages(refusal.error)
        if step in (OFFER, COUNTER):
            lines = offer_lines if step == OFFER else counter_lines
            # Both checked, so that each shows its own errors.
            if all([meta[step].is_valid(), lines.is_valid()]):
                rest = lines.add_errors(errors)
                if rest:
                    add_errors(meta[step], ValidationError(rest))
        elif step == "decline":
            if decline.is_valid():
                add_errors(decline, refusal.error)
        elif terms.is_valid():
            add_errors(terms, refusal.error)

    def summary(lines: LineForms, meta_form) -> list[dict[str, str]]:
        general = [{"id": "", "label": "", "message": m} for m in lines.non_field_errors]
        return general + error_summary(*lines, meta_form)

    return {
        "refused_step": step,
        "offer_inputs": offer_lines,
        "counter_inputs": counter_lines,
        "meta_form": meta[OFFER],
        "counter_meta_form": meta[COUNTER],
        "terms_form": terms,
        "decline_form": decline,
        # Each refused form's summary at its top (the errors are beside the fields too).
        "offer_errors": summary(offer_lines, meta[OFFER]),
        "counter_errors": summary(counter_lines, meta[COUNTER]),
        "terms_errors": error_summary(terms),
        "decline_errors": error_summary(decline),
        # A refused accept keeps the offer it was for.
        "accept_offer_id": request.POST.get("offer", "") if step == "accept" else "",
    }


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
    # An offer is answered while the case is in negotiation; one a denial left open is not.
    insurer_open = (
        case.status == CaseStatus.IN_NEGOTIATION
        and open_offer is not None
        and open_offer.party == OfferParty.INSURER
    )
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
    refusal = desk_refusal(request)
    refused = refusal.step if refusal else ""
    forms_ = _step_forms(request, case, services_, suggested, refusal)
    # The offer an accept is for: the refused one's (a stale tab's offer may since have been
    # declined: its accept is refused again, by the service, with the reason), else the open one.
    forms_["accept_offer_id"] = forms_["accept_offer_id"] or (open_offer.pk if open_offer else "")
    return Panel(
        template="negotiations/panel.html",
        context={
            "summary": summary,
            "offers": offers,
            "open_offer": open_offer,
            # Accepting or declining is the instruction only while an insurer's offer is open.
            "insurer_open": insurer_open,
            "appealed": case.status == CaseStatus.APPEALED,
            "billing": billing,
            "negotiable": summary["negotiable"],
            "policy": summary["policy"],
            "policy_label": PolicyKind(summary["policy"]["kind"]).label
            if summary["policy"]
            else "",
            # A refused form comes back even if the case has just moved on (its error says so).
            "can_record_offer": CaseAction.RECEIVE_OFFER in actions or refused == OFFER,
            # A counter answers the insurer's open offer: accepting's status and role, and a
            # negotiable policy (offer_counter enforces the same).
            "can_counter": (
                CaseAction.ACCEPT in actions and summary["negotiable"] and insurer_open
            ) or refused == COUNTER,
            "can_accept": (CaseAction.ACCEPT in actions and insurer_open) or refused == "accept",
            "can_approve": CaseAction.APPROVE in actions or refused == "approve",
            "can_decline": CaseAction.DECLINE in actions or refused == "decline",
            **forms_,
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
    step = OFFER

    def act(self, request, case):
        meta = offer_details(form_or_refuse(OfferMetaForm(request.POST, prefix=META_PREFIX[OFFER])))
        services_ = case.services.select_related("billing_code")
        lines = LineForms(services_, OFFER, data=request.POST).lines()
        offer_record(case_id=case.pk, actor=request.user, lines=lines, **meta)
        return "The insurer's offer is recorded."


class DeskCounterView(DeskView):
    step = COUNTER

    def act(self, request, case):
        meta = offer_details(
            form_or_refuse(CounterMetaForm(request.POST, prefix=META_PREFIX[COUNTER]))
        )
        services_ = case.services.select_related("billing_code")
        lines = LineForms(services_, COUNTER, data=request.POST, counter=True).lines()
        offer_counter(case_id=case.pk, actor=request.user, lines=lines, **meta)
        return "Counter-offer recorded. Send it to the insurer and log the contact."


class DeskDeclineView(DeskView):
    step = "decline"

    def act(self, request, case):
        data = form_or_refuse(DeclineForm(request.POST, prefix="decline"))
        case_decline(case_id=case.pk, actor=request.user, reason=data["reason"])
        return "Declined. The case is closed."
