"""Insurer pages: the directory entry, and this practice's rate policies, their rates, its SCA
contact and their history.

The directory is shared and maintained by the site's operators (the Django admin and the API);
every member reads it. A practice's policies and contacts are its own: its members read them,
its administrators change them (ACTION_ROLES["reference"]), and another practice's are not found.
Writes go through ``cases.services.reference``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import ListView, TemplateView
from django.views.generic.base import ContextMixin

from billing_codes.models import BillingCode
from cases.forms.reference import (
    InsurerContactForm,
    PolicyRevisionForm,
    RatePolicyForm,
    policy_fields_initial,
    policy_rate_formset,
    rate_initial,
)
from cases.models import ContactPurpose, Insurer, LineOfBusiness, RatePolicy
from cases.permissions import can, is_operator
from cases.rates import policy_pays
from cases.selectors.reference import (
    insurer_contact_for,
    insurer_contacts_visible_to,
    insurer_policies,
    policies_on,
    policy_in_force,
    rate_policies_visible_to,
)
from cases.selectors.tenancy import practices_for
from cases.services.common import as_data
from cases.services.reference import (
    CONTACT_FIELDS,
    POLICY_FIELDS,
    REVISED_FIELDS,
    ContactData,
    PolicyData,
    RateRow,
    insurer_contact_save,
    rate_policy_create,
    rate_policy_revise,
    rate_policy_update,
)
from cases.web import PracticeMixin
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors, error_messages, refusal_status

CREATE_EXTRA_ROWS = 5
EDIT_EXTRA_ROWS = 3


# ContextMixin: every view below is a template view already, so their MRO is unchanged.
class ReferenceMixin(PracticeMixin, ContextMixin):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["nav_section"] = "insurers"
        ctx["can_edit"] = can(self.request.user, self.practice_id, "reference")
        ctx["is_operator"] = is_operator(self.request.user)
        return ctx


class PracticeAdminMixin(ReferenceMixin):
    """403 unless the user administers the current practice."""

    role_action = "reference"


def line_of(request) -> str:
    line = request.GET.get("line", LineOfBusiness.COMMERCIAL)
    return line if line in LineOfBusiness.values else LineOfBusiness.COMMERCIAL


# ----------------------------------------------------------------------------- insurers


class InsurerListView(ReferenceMixin, ListView):
    template_name = "cases/insurer_list.html"
    context_object_name = "insurers"
    paginate_by = 50

    def get_queryset(self):
        current = policies_on(timezone.localdate(), practice_id=self.practice_id)
        insurers = Insurer.objects.order_by("name").prefetch_related(
            Prefetch(
                "policies",
                queryset=current.order_by("line_of_business", "-effective_from"),
                to_attr="policies_in_force",
            )
        )
        self.q = self.request.GET.get("q", "").strip()[:100]
        if self.q:
            insurers = insurers.filter(Q(name__icontains=self.q) | Q(payer_id__icontains=self.q))
        return insurers

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["q"] = self.q
        ctx["can_add_insurer"] = is_operator(self.request.user, "cases.add_insurer")
        return ctx


class InsurerDetailView(ReferenceMixin, TemplateView):
    template_name = "cases/insurer_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        insurer = get_object_or_404(Insurer, pk=self.kwargs["pk"])
        today = timezone.localdate()
        line = line_of(self.request)
        policies, current = insurer_policies(
            practice_id=self.practice_id, insurer=insurer, line=line, on=today
        )
        rates = []
        if current is not None:
            for rate in current.rates.select_related("billing_code"):
                rate.pays = policy_pays(current, rate)
                rates.append(rate)
        lines = [
            (value, label, any(p.line_of_business == value for p in policies))
            for value, label in LineOfBusiness.choices
        ]
        ctx.update(
            insurer=insurer,
            policy=current,
            rates=rates,
            policies=policies,
            today=today,
            line=line,
            line_label=LineOfBusiness(line).label,
            lines=lines,
            contact=insurer_contact_for(practice_id=self.practice_id, insurer=insurer),
            appeals_contact=insurer_contact_for(
                practice_id=self.practice_id, insurer=insurer, purpose=ContactPurpose.APPEALS
            ),
            admin_url=reverse("admin:cases_insurer_change", args=[insurer.pk]),
        )
        return ctx


class ContactEditView(PracticeAdminMixin, TemplateView):
    """The practice's own SCA contact at an insurer for one purpose; blank fields fall back
    to the directory's."""

    template_name = "cases/insurer_contact_form.html"

    def setup_objects(self) -> None:
        self.insurer = get_object_or_404(Insurer, pk=self.kwargs["pk"])
        self.purpose = self.kwargs["purpose"]
        if self.purpose not in ContactPurpose.values:
            raise Http404("No such contact.")
        self.contact = (
            insurer_contacts_visible_to(self.request.user)
            .filter(practice_id=self.practice_id, insurer=self.insurer, purpose=self.purpose)
            .first()
        )

    def render_form(self, form, status=200):
        ctx = self.get_context_data(
            form=form,
            insurer=self.insurer,
            purpose_label=ContactPurpose(self.purpose).label,
        )
        return self.render_to_response(ctx, status=status)

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        return self.render_form(InsurerContactForm(instance=self.contact))

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        form = InsurerContactForm(request.POST, instance=self.contact)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            insurer_contact_save(
                actor=signed_in_user(request),
                practice=practices_for(request.user).get(pk=self.practice_id),
                insurer=self.insurer,
                purpose=self.purpose,
                data=as_data(
                    {name: form.cleaned_data[name] for name in CONTACT_FIELDS}, ContactData
                ),
            )
        except REFUSALS as exc:
            add_errors(form, exc)
            return self.render_form(form, status=refusal_status(exc))
        messages.success(request, f"Your {self.insurer.name} contact is saved.")
        return redirect("cases:insurer_detail", pk=self.insurer.pk)


# ----------------------------------------------------------------------------- policies


def add_policy_errors(form, formset, exc: Exception, revision=None) -> None:
    """A refusal from the policy services: ``rates[i].field`` errors go on the row they name,
    the change's date and reason on the revision form, the rest on the policy form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        rest = formset.add_rate_errors(error_messages(exc))
        if revision is not None:
            mine = {k: v for k, v in rest.items() if k in revision.fields}
            if mine:
                add_errors(revision, ValidationError(mine))
            rest = {k: v for k, v in rest.items() if k not in mine}
        if rest:
            add_errors(form, ValidationError(rest))
        return
    add_errors(form, exc)


class PolicyFormView(PracticeAdminMixin, TemplateView):
    """The policy's fields and its rates table, saved together by one service call."""

    template_name = "cases/ratepolicy_form.html"
    extra_rows = CREATE_EXTRA_ROWS
    insurer: Insurer
    policy: RatePolicy | None = None
    revising = False

    def setup_objects(self) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:  # each view's

        def form_instance(self) -> RatePolicy: ...
        def save(self, *, form: Any, rates: list[RateRow], revision: Any) -> RatePolicy: ...

    def initial_rates(self) -> list[dict]:
        return []

    def initial_fields(self) -> dict:
        return {}

    def render_forms(self, form, formset, revision=None, status=200):
        ctx = self.get_context_data(
            form=form,
            formset=formset,
            revision=revision,
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
            RatePolicyForm(
                instance=self.form_instance(), initial=self.initial_fields(), revising=self.revising
            ),
            formset_class(initial=self.initial_rates(), prefix="rates"),
            PolicyRevisionForm(prefix="change") if self.revising else None,
        )

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        formset_class = policy_rate_formset(extra=self.extra_rows)
        form = RatePolicyForm(request.POST, instance=self.form_instance(), revising=self.revising)
        formset = formset_class(request.POST, initial=self.initial_rates(), prefix="rates")
        revision = PolicyRevisionForm(request.POST, prefix="change") if self.revising else None
        valid = [form.is_valid(), formset.is_valid(), revision is None or revision.is_valid()]
        if not all(valid):
            return self.render_forms(form, formset, revision, status=400)
        try:
            saved = self.save(form=form, rates=formset.rates(), revision=revision)
        except REFUSALS as exc:
            add_policy_errors(form, formset, exc, revision)
            return self.render_forms(form, formset, revision, status=refusal_status(exc))
        messages.success(request, f"Rate policy from {saved.effective_from.isoformat()} saved.")
        url = reverse("cases:insurer_detail", args=[saved.insurer_id])
        return redirect(f"{url}?line={saved.line_of_business}")


class PolicyCreateView(PolicyFormView):
    """A new policy starts as a copy of the one in force for the line of business (its
    protocol and rates); the administrator sets the period."""

    def setup_objects(self) -> None:
        self.insurer = get_object_or_404(Insurer, pk=self.kwargs["pk"])
        self.line = line_of(self.request)
        self.template_policy = policy_in_force(
            practice_id=self.practice_id,
            insurer_id=self.insurer.pk,
            line_of_business=self.line,
            on=timezone.localdate(),
        )

    def form_instance(self) -> RatePolicy:
        return RatePolicy(insurer=self.insurer, practice_id=self.practice_id)

    def initial_fields(self) -> dict:
        initial = {"line_of_business": self.line, "effective_from": timezone.localdate()}
        if self.template_policy is not None:
            initial.update(policy_fields_initial(self.template_policy))
        return initial

    def initial_rates(self) -> list[dict]:
        return rate_initial(self.template_policy) if self.template_policy else []

    def save(self, *, form, rates, revision) -> RatePolicy:
        return rate_policy_create(
            actor=signed_in_user(self.request),
            practice=practices_for(self.request.user).get(pk=self.practice_id),
            insurer=self.insurer,
            rates=rates,
            data=as_data({name: form.cleaned_data[name] for name in POLICY_FIELDS}, PolicyData),
        )


class PolicyEditView(PolicyFormView):
    """A future or past policy is corrected in place; the policy in force is changed from a
    date on, with a reason: its period closes and a new one starts (``rate_policy_revise``)."""

    extra_rows = EDIT_EXTRA_ROWS
    policy: RatePolicy  # set by setup_objects

    def setup_objects(self) -> None:
        self.policy = get_object_or_404(
            rate_policies_visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        self.require(self.policy.practice_id, "reference")
        self.insurer = self.policy.insurer
        today = timezone.localdate()
        self.revising = self.policy.effective_from <= today and (
            self.policy.effective_to is None or self.policy.effective_to >= today
        )

    def form_instance(self) -> RatePolicy:
        # A copy: form validation sets attributes, and the page heading keeps the saved dates.
        return RatePolicy.objects.get(pk=self.policy.pk)

    def initial_rates(self) -> list[dict]:
        if not hasattr(self, "_initial_rates"):
            self._initial_rates = rate_initial(self.policy)
        return self._initial_rates

    def save(self, *, form, rates, revision) -> RatePolicy:
        if revision is not None:
            return rate_policy_revise(
                policy=self.policy,
                actor=signed_in_user(self.request),
                effective_from=revision.cleaned_data["effective_from"],
                reason=revision.cleaned_data["reason"],
                rates=rates,
                data=as_data(
                    {name: form.cleaned_data[name] for name in REVISED_FIELDS}, PolicyData
                ),
            )
        return rate_policy_update(
            policy=self.policy,
            actor=signed_in_user(self.request),
            rates=rates,
            data=as_data({name: form.cleaned_data[name] for name in POLICY_FIELDS}, PolicyData),
        )


# ----------------------------------------------------------------------------- history


urlpatterns = [
    path("insurers/", InsurerListView.as_view(), name="insurer_list"),
    path("insurers/<id:pk>/", InsurerDetailView.as_view(), name="insurer_detail"),
    path(
        "insurers/<id:pk>/contact/<slug:purpose>/",
        ContactEditView.as_view(),
        name="insurer_contact_edit",
    ),
    path("insurers/<id:pk>/policies/new/", PolicyCreateView.as_view(), name="policy_create"),
    path("policies/<id:pk>/edit/", PolicyEditView.as_view(), name="policy_edit"),
]
