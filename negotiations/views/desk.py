"""The negotiation panel of the case workspace: offers and counters in time order with the
benchmark table and the suggested counter, accept, approve, decline, contacts and
utilization. Billing managers act; staff see."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from billing_codes.models import code_label
from cases import converters  # noqa: F401  (registers the "id" converter)
from cases import selectors as case_selectors
from cases.models import CaseAction, CaseStatus, PolicyKind, SubmissionChannel
from cases.permissions import allowed_actions, can
from cases.web import REFUSALS, PracticeMixin, flash_refusal
from cases.workspace import Panel

from .. import selectors, services
from ..models import Direction, Notification, Offer, OfferParty, OfferStatus

DATE = forms.DateInput(attrs={"type": "date"})


class OfferMetaForm(forms.Form):
    received_on = forms.DateField(label="Received on", widget=DATE, required=False)
    rep_name = forms.CharField(label="Insurer representative", max_length=120, required=False)
    reference_number = forms.CharField(label="Reference number", max_length=60, required=False)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TermsForm(forms.Form):
    authorization_number = forms.CharField(label="Authorization number", max_length=60)
    start_date = forms.DateField(label="Agreement from", widget=DATE, required=False)
    end_date = forms.DateField(label="Agreement to", widget=DATE, required=False)
    sessions_authorized = forms.IntegerField(
        label="Sessions authorized", required=False, min_value=1, max_value=100_000
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why the practice declines", widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactForm(forms.Form):
    direction = forms.ChoiceField(label="Direction", choices=Direction.choices)
    channel = forms.ChoiceField(label="Channel", choices=SubmissionChannel.choices)
    contact_name = forms.CharField(label="Spoke with", max_length=120, required=False)
    reference_number = forms.CharField(label="Call reference", max_length=60, required=False)
    summary = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_on = forms.DateField(label="Follow up on", widget=DATE, required=False)


class UtilizationForm(forms.Form):
    service_date = forms.DateField(label="Service date", widget=DATE)
    line = forms.ChoiceField(label="Code")
    units = forms.IntegerField(label="Units", min_value=1, max_value=10_000)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            (ln.pk, code_label(ln.billing_code.code, ln.modifier)) for ln in lines
        ]


def _rate_inputs(services_, prefix: str, initial: dict | None = None) -> list[dict]:
    """One rate (and optional units) input per requested code, labelled with the code."""
    rows = []
    for s in services_:
        label = code_label(s.billing_code.code, s.modifier)
        rows.append(
            {
                "service": s,
                "label": label,
                "rate_name": f"{prefix}-rate-{s.pk}",
                "units_name": f"{prefix}-units-{s.pk}",
                "rate": (initial or {}).get(s.pk, ""),
            }
        )
    return rows


def negotiation_panel(request, case) -> Panel | None:
    """The workspace panel, for every case past the draft."""
    if case.is_draft:
        return None
    services_ = list(case.services.all())  # prefetched with their codes by the workspace
    entered = list(selectors.offers_for(case))  # entry order: the summary's "latest offer"
    summary = selectors.negotiation_summary(case, services=services_, offers=entered)
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
        utilization = selectors.utilization_summary(agreement)
    flags = (summary["agreement"] or {}).get("flags") or {}
    warnings = []
    if flags.get("missing_codes"):
        warnings.append(
            "Requested codes left out of the agreement: "
            + ", ".join(flags["missing_codes"])
            + ". Claims for them will be denied; ask the insurer to add them."
        )
    if flags.get("below_floor"):
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
            "offer_inputs": _rate_inputs(services_, "offer"),
            "counter_inputs": _rate_inputs(services_, "counter", suggested),
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
            "contact_form": ContactForm(prefix="contact"),
            "contacts": list(
                selectors.contacts_for(case).order_by("-at", "-id")[:50]
            ),
            "agreement": summary["agreement"],
            "agreement_warnings": warnings,
            "utilization": utilization,
            "utilization_form": UtilizationForm(prefix="use", lines=agreement_lines)
            if agreement is not None
            else None,
            "case": case,
        },
    )  # fmt: skip


def _lines_from_post(post, case, prefix: str, *, require_all: bool) -> list[dict]:
    lines = []
    missing = []
    for s in case.services.select_related("billing_code"):
        label = code_label(s.billing_code.code, s.modifier)
        raw_rate = (post.get(f"{prefix}-rate-{s.pk}") or "").strip()
        raw_units = (post.get(f"{prefix}-units-{s.pk}") or "").strip()
        if not raw_rate:
            missing.append(label)
            continue
        try:
            rate = Decimal(raw_rate)
            if not rate.is_finite() or rate.as_tuple().exponent < -2 or rate >= Decimal("1e8"):
                raise ValueError
        except (ArithmeticError, ValueError):
            raise ValidationError(
                {"rate": f"{label}: enter the rate in dollars, e.g. 62.50."}
            ) from None
        units = None
        if raw_units:
            try:
                units = int(raw_units)
                if not 1 <= units <= 100_000:
                    raise ValueError
            except ValueError:
                raise ValidationError(
                    {"units": f"{label}: units are a whole number from 1."}
                ) from None
        line = {"billing_code": s.billing_code, "modifier": s.modifier, "rate": rate}
        if units is not None:
            line.update(units=units, unit_period=s.unit_period)
        lines.append(line)
    if require_all and missing:
        raise ValidationError({"rate": f"Give the rate for {', '.join(missing)}."})
    return lines


def _form_or_refuse(form: forms.Form) -> dict:
    if not form.is_valid():
        raise ValidationError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return form.cleaned_data


# Each step's entry in the one role table (ACTION_ROLES): contacts and use are recorded by
# staff (as in the API); the negotiation is billing's.
STEP_ACTIONS = {
    "offer": "receive_offer",
    "counter": "offers",
    "accept": "accept",
    "approve": "approve",
    "decline": "decline",
    "contact": "contacts",
    "utilization": "utilization",
}


class DeskView(PracticeMixin, View):
    """One POST endpoint per negotiation step; each calls one service."""

    step = ""

    def post(self, request, pk):
        case = case_selectors.get_case_for(request.user, pk)
        self.require(case.practice_id, STEP_ACTIONS[self.step])
        try:
            message = getattr(self, f"do_{self.step}")(request, case)
        except REFUSALS as exc:
            flash_refusal(request, exc)
        else:
            messages.success(request, message)
        return redirect(reverse("cases:detail", args=[case.pk]) + "#negotiation")

    def do_offer(self, request, case):
        meta = _form_or_refuse(OfferMetaForm(request.POST, prefix="meta"))
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        lines = _lines_from_post(request.POST, case, "offer", require_all=False)
        services.offer_record(case_id=case.pk, actor=request.user, lines=lines, **meta)
        return "The insurer's offer is recorded."

    def do_counter(self, request, case):
        lines = _lines_from_post(request.POST, case, "counter", require_all=False)
        services.offer_counter(case_id=case.pk, actor=request.user, lines=lines)
        return "Counter-offer recorded. Send it to the insurer and log the contact."

    def do_accept(self, request, case):
        terms = _form_or_refuse(TermsForm(request.POST, prefix="terms"))
        raw_offer = (request.POST.get("offer") or "").strip()
        if not raw_offer.isascii() or not raw_offer.isdigit():
            raise Http404("No such offer on this case.")
        offer = get_object_or_404(Offer, pk=int(raw_offer), case=case)
        services.offer_accept(case_id=case.pk, offer_id=offer.pk, actor=request.user, **terms)
        return "Offer accepted: the agreement is recorded."

    def do_approve(self, request, case):
        terms = _form_or_refuse(TermsForm(request.POST, prefix="terms"))
        services.case_approve(case_id=case.pk, actor=request.user, **terms)
        return "Approved as requested: the agreement is recorded."

    def do_decline(self, request, case):
        data = _form_or_refuse(DeclineForm(request.POST, prefix="decline"))
        services.case_decline(case_id=case.pk, actor=request.user, reason=data["reason"])
        return "Declined. The case is closed."

    def do_contact(self, request, case):
        data = _form_or_refuse(ContactForm(request.POST, prefix="contact"))
        services.contact_log(case_id=case.pk, actor=request.user, at=timezone.now(), **data)
        return "Contact logged."

    def do_utilization(self, request, case):
        agreement = getattr(case, "agreement", None)
        lines = list(agreement.lines.select_related("billing_code")) if agreement else []
        data = _form_or_refuse(UtilizationForm(request.POST, prefix="use", lines=lines))
        line = next(ln for ln in lines if str(ln.pk) == data["line"])
        entry = services.utilization_record(
            case_id=case.pk, actor=request.user, service_date=data["service_date"],
            billing_code=line.billing_code, modifier=line.modifier, units=data["units"],
        )  # fmt: skip
        if entry.over_authorized:
            return "Recorded, but past the authorized units: ask the insurer before more sessions."
        return "Use recorded."


class NotificationReadView(PracticeMixin, View):
    def post(self, request, pk):
        try:
            services.notification_mark_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise Http404("No such notification.") from None
        except REFUSALS as exc:
            flash_refusal(request, exc)
        return redirect(reverse("dashboard") + "#notifications")


def _desk(step: str):
    return type(f"Desk{step.title()}View", (DeskView,), {"step": step}).as_view()


urlpatterns = [
    path(f"cases/<id:pk>/negotiation/{step}/", _desk(step), name=f"desk_{step}")
    for step in STEP_ACTIONS
] + [
    path("notifications/<id:pk>/read/", NotificationReadView.as_view(), name="notification_read"),
]
