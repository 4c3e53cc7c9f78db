"""Insurer pages, rate policies and their rates and history (issue 6, item 6).

Insurers and policies are shared reference data: every signed-in member reads them; only
``can_edit_reference_data`` users (an admin of any practice) change them or read their
change history (as the audit API). Writes go through ``cases.services.reference``.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.views.generic import ListView, TemplateView

from billing_codes.models import BillingCode, code_label
from cases import selectors
from cases.forms_reference import (
    InsurerForm,
    RatePolicyForm,
    policy_rate_formset,
    rate_initial,
)
from cases.models import Insurer, PolicyRate, RatePolicy
from cases.permissions import can_edit_reference_data
from cases.rates import policy_pays
from cases.services.reference import (
    INSURER_FIELDS,
    POLICY_FIELDS,
    insurer_create,
    insurer_update,
    rate_policy_create,
    rate_policy_update,
)
from cases.web import REFUSALS, PracticeMixin, add_errors, error_messages, refusal_status

CREATE_EXTRA_ROWS = 5
EDIT_EXTRA_ROWS = 3


class ReferenceMixin(PracticeMixin):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["nav_section"] = "insurers"
        ctx["can_edit"] = can_edit_reference_data(self.request.user)
        return ctx


class ReferenceEditorMixin(ReferenceMixin):
    """403 unless the user maintains reference data."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_edit_reference_data(request.user):
            raise PermissionDenied("Only administrators change insurers and rate policies.")
        return super().dispatch(request, *args, **kwargs)


# ----------------------------------------------------------------------------- insurers


class InsurerListView(ReferenceMixin, ListView):
    template_name = "cases/insurer_list.html"
    context_object_name = "insurers"
    paginate_by = 50

    def get_queryset(self):
        current = selectors.policies_on(timezone.localdate())
        insurers = Insurer.objects.order_by("name").prefetch_related(
            Prefetch("policies", queryset=current, to_attr="policies_in_force")
        )
        self.q = self.request.GET.get("q", "").strip()[:100]
        if self.q:
            insurers = insurers.filter(Q(name__icontains=self.q) | Q(payer_id__icontains=self.q))
        return insurers

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["q"] = self.q
        for insurer in ctx["insurers"]:
            insurer.policy_today = (insurer.policies_in_force or [None])[0]
        return ctx


class InsurerDetailView(ReferenceMixin, TemplateView):
    template_name = "cases/insurer_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        insurer = get_object_or_404(Insurer, pk=self.kwargs["pk"])
        today = timezone.localdate()
        policies = list(insurer.policies.order_by("-effective_from"))
        in_force = selectors.policy_in_force(insurer.pk, today)
        current = next((p for p in policies if in_force and p.pk == in_force.pk), None)
        rates = []
        if current is not None:
            for rate in current.rates.select_related("billing_code"):
                rate.pays = policy_pays(current, rate)
                rates.append(rate)
        for p in policies:
            p.status = (
                "in force" if p is current else ("future" if p.effective_from > today else "past")
            )
        ctx.update(insurer=insurer, policy=current, rates=rates, policies=policies, today=today)
        return ctx


class InsurerFormView(ReferenceEditorMixin, TemplateView):
    template_name = "cases/insurer_form.html"
    insurer: Insurer | None = None

    def get_insurer(self) -> Insurer | None:
        return None

    def render_form(self, form, status=200):
        return self.render_to_response(
            self.get_context_data(form=form, insurer=self.insurer), status=status
        )

    def get(self, request, *args, **kwargs):
        self.insurer = self.get_insurer()
        return self.render_form(InsurerForm(instance=self.insurer))

    def post(self, request, *args, **kwargs):
        self.insurer = self.get_insurer()
        # A copy for the form: validation sets its attributes, the service reloads anyway.
        instance = Insurer.objects.get(pk=self.insurer.pk) if self.insurer else None
        form = InsurerForm(request.POST, instance=instance)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = {name: form.cleaned_data[name] for name in INSURER_FIELDS}
        try:
            if self.insurer is None:
                saved = insurer_create(actor=request.user, **data)
                messages.success(request, f"Insurer {saved.name} added.")
            else:
                saved = insurer_update(insurer=self.insurer, actor=request.user, **data)
                messages.success(request, f"Insurer {saved.name} saved.")
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.render_form(form, status=refusal_status(exc))
        return redirect("cases:insurer_detail", pk=saved.pk)


class InsurerCreateView(InsurerFormView):
    pass


class InsurerEditView(InsurerFormView):
    def get_insurer(self) -> Insurer:
        return get_object_or_404(Insurer, pk=self.kwargs["pk"])


# ----------------------------------------------------------------------------- policies

RATE_ERROR_KEY = re.compile(r"^rates\[(\d+)\]\.(\w+)$")


def add_policy_errors(form, formset, exc: Exception) -> None:
    """A refusal from the policy services: ``rates[i].field`` errors go on the row they name,
    the rest on the policy form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        rows = formset.kept_forms()
        rest = {}
        for name, messages_ in error_messages(exc).items():
            match = RATE_ERROR_KEY.match(name)
            index = int(match.group(1)) if match else -1
            if match and index < len(rows):
                field = match.group(2)
                field = "code" if field == "billing_code" else field
                for message in messages_:
                    rows[index].add_error(field if field in rows[index].fields else None, message)
            else:
                rest[name] = messages_
        if rest:
            add_errors(form, ValidationError(rest))
        return
    add_errors(form, exc)


class PolicyFormView(ReferenceEditorMixin, TemplateView):
    """The policy's fields and its rates table, saved together by one service call."""

    template_name = "cases/ratepolicy_form.html"
    extra_rows = CREATE_EXTRA_ROWS

    def setup_objects(self) -> None:
        raise NotImplementedError

    def initial_rates(self) -> list[dict]:
        return []

    def render_forms(self, form, formset, status=200):
        ctx = self.get_context_data(
            form=form,
            formset=formset,
            insurer=self.insurer,
            policy=self.policy,
            billing_codes=BillingCode.objects.filter(is_active=True).only(
                "code", "short_description"
            ),
        )
        return self.render_to_response(ctx, status=status)

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        formset_class = policy_rate_formset(extra=self.extra_rows)
        return self.render_forms(
            RatePolicyForm(instance=self.form_instance()),
            formset_class(initial=self.initial_rates(), prefix="rates"),
        )

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        formset_class = policy_rate_formset(extra=self.extra_rows)
        form = RatePolicyForm(request.POST, instance=self.form_instance())
        formset = formset_class(request.POST, initial=self.initial_rates(), prefix="rates")
        form_ok = form.is_valid()
        if not (formset.is_valid() and form_ok):
            return self.render_forms(form, formset, status=400)
        fields = {name: form.cleaned_data[name] for name in POLICY_FIELDS}
        try:
            saved = self.save(fields=fields, rates=formset.rates())
        except REFUSALS as exc:
            add_policy_errors(form, formset, exc)
            return self.render_forms(form, formset, status=refusal_status(exc))
        messages.success(request, f"Rate policy from {saved.effective_from.isoformat()} saved.")
        return redirect("cases:insurer_detail", pk=saved.insurer_id)


class PolicyCreateView(PolicyFormView):
    def setup_objects(self) -> None:
        self.insurer = get_object_or_404(Insurer, pk=self.kwargs["pk"])
        self.policy = None

    def form_instance(self) -> RatePolicy:
        return RatePolicy(insurer=self.insurer)

    def save(self, *, fields, rates) -> RatePolicy:
        return rate_policy_create(
            actor=self.request.user, insurer=self.insurer, rates=rates, **fields
        )


class PolicyEditView(PolicyFormView):
    extra_rows = EDIT_EXTRA_ROWS

    def setup_objects(self) -> None:
        self.policy = get_object_or_404(
            RatePolicy.objects.select_related("insurer"), pk=self.kwargs["pk"]
        )
        self.insurer = self.policy.insurer

    def form_instance(self) -> RatePolicy:
        # A copy: form validation sets attributes, and the page heading keeps the saved dates.
        return RatePolicy.objects.get(pk=self.policy.pk)

    def initial_rates(self) -> list[dict]:
        if not hasattr(self, "_initial_rates"):
            self._initial_rates = rate_initial(self.policy)
        return self._initial_rates

    def save(self, *, fields, rates) -> RatePolicy:
        return rate_policy_update(
            policy=self.policy, actor=self.request.user, rates=rates, **fields
        )


# ----------------------------------------------------------------------------- history

HIDDEN_HISTORY_FIELDS = ["updated_at", "created_at"]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _show(field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _label(model, name) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name.replace("_", " ")


def history_entries(records, model, what) -> list[dict]:
    """One entry per history row, diffed against the previous row of the same object in
    memory (no query per row)."""
    previous: dict[int, object] = {}
    entries = []
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        before = previous.get(record.id)
        if record.history_type == "~" and before is not None:
            delta = record.diff_against(before, excluded_fields=HIDDEN_HISTORY_FIELDS)
            changes = [
                (
                    _label(model, c.field),
                    _show(_field(model, c.field), c.old),
                    _show(_field(model, c.field), c.new),
                )
                for c in delta.changes
            ]
        else:
            changes = []
        previous[record.id] = record
        entries.append(
            {
                "at": record.history_date,
                "order": record.history_id,
                "user": record.history_user.username if record.history_user else None,
                "action": ACTIONS[record.history_type],
                "what": what(record),
                "changes": changes,
                "record": record,
            }
        )
    return entries


def _rate_what(record) -> str:
    code = record.billing_code.code if record.billing_code else "?"
    return f"Rate {code_label(code, record.modifier)}"


def _rate_values(record) -> list[tuple[str, str, str]]:
    return [
        (_label(PolicyRate, name), "—", _show(None, getattr(record, name)))
        for name in ("highest_network_rate", "reference_rate")
    ]


class PolicyHistoryView(ReferenceEditorMixin, TemplateView):
    template_name = "cases/ratepolicy_history.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        policy = get_object_or_404(
            RatePolicy.objects.select_related("insurer"), pk=self.kwargs["pk"]
        )
        policy_rows = RatePolicy.history.filter(id=policy.pk).select_related("history_user")
        rate_rows = PolicyRate.history.filter(policy_id=policy.pk).select_related(
            "history_user", "billing_code"
        )
        entries = history_entries(policy_rows, RatePolicy, lambda r: "Policy")
        rate_entries = history_entries(rate_rows, PolicyRate, _rate_what)
        for entry in rate_entries:
            # A rate's first or last row says what it was: shown as a change from or to nothing.
            if entry["action"] == "created":
                entry["changes"] = _rate_values(entry["record"])
            elif entry["action"] == "deleted":
                entry["changes"] = [
                    (label, new, old) for label, old, new in _rate_values(entry["record"])
                ]
        entries += rate_entries
        entries.sort(key=lambda e: (e["at"], e["order"]), reverse=True)
        ctx.update(policy=policy, insurer=policy.insurer, entries=entries)
        return ctx


urlpatterns = [
    path("insurers/", InsurerListView.as_view(), name="insurer_list"),
    path("insurers/new/", InsurerCreateView.as_view(), name="insurer_create"),
    path("insurers/<id:pk>/", InsurerDetailView.as_view(), name="insurer_detail"),
    path("insurers/<id:pk>/edit/", InsurerEditView.as_view(), name="insurer_edit"),
    path("insurers/<id:pk>/policies/new/", PolicyCreateView.as_view(), name="policy_create"),
    path("policies/<id:pk>/edit/", PolicyEditView.as_view(), name="policy_edit"),
    path("policies/<id:pk>/history/", PolicyHistoryView.as_view(), name="policy_history"),
]
