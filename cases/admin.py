"""The Django admin: support views for the site's operators.

Every write here goes through the service the API and the pages call (ServiceAdmin), or the
admin only reads (ReadOnlyAdminMixin) where a service is the only legal path, so that no
rule, history entry or case event is skipped.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Case,
    CaseEvent,
    Client,
    Consent,
    Insurer,
    InsurerContact,
    Membership,
    NetworkSearch,
    PolicyRate,
    Practice,
    Provider,
    RatePolicy,
    RequestedService,
    Role,
)
from .services.common import as_data
from .services.people import (
    CLIENT_FIELDS,
    PROVIDER_FIELDS,
    ClientData,
    ProviderData,
    client_create,
    client_update,
    provider_create,
    provider_update,
)
from .services.reference import INSURER_FIELDS, InsurerData, insurer_create, insurer_update
from .services.tenancy import (
    PRACTICE_FIELDS,
    PracticeData,
    membership_add,
    membership_remove,
    membership_update,
    practice_create,
    practice_update,
)
from .web import REFUSALS, add_errors, flash_refusal


class ReadOnlyAdminMixin:
    """Support views of what only a service may write (a practice's own reference data, a
    case and what hangs off it, negotiations): the application and the API call the service;
    operators read it here. For admins and inlines alike."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's "revert" form saves a POST without asking for the change
        # permission: only reading a past version is allowed here.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class _Refused(Exception):
    """A service refused the admin's write; carries the refusal to the view that shows it."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def service_data(form: forms.BaseForm, fields: list[str]) -> dict[str, Any]:
    """The form's values for the fields the service accepts. Every field, not only the changed
    ones: the service works out what changed, and a reverted version (simple-history) differs
    from the current row without differing from its own form."""
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


class RefusableForm(forms.ModelForm):
    """The admin's form; for a POST a service refused, the refusal is its error (on the field
    it names when the form has it, as on the application's pages)."""

    refusal: Exception | None = None

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if self.refusal is not None:
            add_errors(self, self.refusal)
        return cleaned_data


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose writes go through the service the API and the pages call.

    A subclass implements ``save_through_service`` (it returns the saved object) and, only
    when a delete or archive service exists, ``delete_through_service`` with
    ``deletes_through_service = True``; otherwise deleting is not permitted. A refusal
    (DomainError, ValidationError, ...) shows on the form, never as a server error: the view's
    transaction rolls the write back and the same POST is shown again with the refusal on it.
    """

    form = RefusableForm
    deletes_through_service = False

    def save_through_service(self, request, obj, form, change):
        raise NotImplementedError

    def delete_through_service(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            saved = self.save_through_service(request, obj, form, change)
        except REFUSALS as exc:
            raise _Refused(exc) from exc
        # The admin logs the change and redirects with the form's instance: give it the row's key.
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(request, obj)
        except REFUSALS as exc:
            raise _Refused(exc) from exc

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletes_through_service and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # One at a time, so that a refusal shows on the object's own page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._showing_refusal(
            super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused as refused:
            flash_refusal(request, refused.error)
            return HttpResponseRedirect(request.get_full_path())

    def _showing_refusal(self, view, request, *args):
        try:
            return view(request, *args)
        except _Refused as refused:
            # The view's transaction rolled the write back. Answer the same POST again: the form
            # built for it now carries the refusal (get_form), so it is invalid and shown with
            # the user's input, and nothing is saved.
            request._service_refusal = refused.error
            return view(request, *args)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class
        return type(form_class.__name__, (form_class,), {"refusal": refusal})


class ServiceHistoryAdmin(ServiceAdmin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's revert form saves through save_model too.
        return self._showing_refusal(
            super().history_form_view, request, object_id, version_id, extra_context
        )


def save_memberships(request, practice: Practice, formset) -> None:
    """The practice's member rows through the membership services: additions and promotions
    first, so that handing the administrator role over in one save keeps one throughout."""
    formset.save(commit=False)  # writes nothing: sorts the rows into new, changed and deleted
    for member in formset.new_objects:
        membership_add(actor=request.user, practice=practice, user=member.user, role=member.role)
    for member, changed in sorted(formset.changed_objects, key=lambda c: c[0].role != Role.ADMIN):
        if "user" in changed:  # one user's: another user is a new membership
            raise ValidationError({"user": "Remove this member and add the other user instead."})
        membership_update(actor=request.user, membership=member, role=member.role)
    for member in formset.deleted_objects:
        membership_remove(actor=request.user, membership=member)


class MembershipInline(admin.TabularInline):  # saved by PracticeAdmin.save_formset
    model = Membership
    extra = 0


@admin.register(Practice)
class PracticeAdmin(ServiceHistoryAdmin):
    """Through practice_create, practice_update and the membership services (not is_active)."""

    list_display = ["name", "npi", "city", "state", "is_active"]
    list_filter = ["is_active", "state"]
    search_fields = ["name", "npi"]
    fields = [*PRACTICE_FIELDS, "is_active"]
    readonly_fields = ["is_active"]
    inlines = [MembershipInline]

    def save_through_service(self, request, obj, form, change):
        data = as_data(service_data(form, PRACTICE_FIELDS), PracticeData)
        if change:
            return practice_update(practice=obj, actor=request.user, data=data)
        return practice_create(actor=request.user, data=data)

    def save_formset(self, request, form, formset, change):
        try:
            save_memberships(request, form.instance, formset)
        except REFUSALS as exc:
            raise _Refused(exc) from exc


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    """Through membership_add, _update and _remove (a practice keeps an administrator)."""

    list_display = ["user", "practice", "role", "created_at"]
    list_filter = ["role", "practice"]
    search_fields = ["user__username", "user__email", "practice__name"]
    deletes_through_service = True

    def get_readonly_fields(self, request, obj=None):
        return ["user", "practice"] if obj else []

    def save_through_service(self, request, obj, form, change):
        role = form.cleaned_data["role"]
        if change:
            return membership_update(actor=request.user, membership=obj, role=role)
        practice, user = form.cleaned_data["practice"], form.cleaned_data["user"]
        return membership_add(actor=request.user, practice=practice, user=user, role=role)

    def delete_through_service(self, request, obj) -> None:
        membership_remove(actor=request.user, membership=obj)


class PracticeRecordAdmin(ServiceHistoryAdmin):
    """A record a practice keeps (client, provider): created in a practice, which then stays;
    archived (is_active), never deleted, since cases name it."""

    def get_readonly_fields(self, request, obj=None):
        return ["practice"] if obj else []


@admin.register(Client)
class ClientAdmin(PracticeRecordAdmin):
    list_display = ["id", "last_name", "first_name", "practice", "insurer", "is_active"]
    list_filter = ["practice", "insurer", "is_active"]
    search_fields = ["last_name", "first_name", "member_id"]
    autocomplete_fields = ["practice", "insurer"]
    fields = ["practice", *CLIENT_FIELDS]

    def save_through_service(self, request, obj, form, change):
        data = as_data(service_data(form, CLIENT_FIELDS), ClientData)
        if change:
            return client_update(client=obj, actor=request.user, data=data)
        return client_create(actor=request.user, practice=form.cleaned_data["practice"], data=data)


@admin.register(Provider)
class ProviderAdmin(PracticeRecordAdmin):
    list_display = ["last_name", "first_name", "credential", "npi", "practice", "is_active"]
    list_filter = ["practice", "credential", "is_active"]
    search_fields = ["last_name", "first_name", "npi"]
    autocomplete_fields = ["practice"]
    fields = ["practice", *PROVIDER_FIELDS]

    def save_through_service(self, request, obj, form, change):
        data = as_data(service_data(form, PROVIDER_FIELDS), ProviderData)
        if change:
            return provider_update(provider=obj, actor=request.user, data=data)
        return provider_create(
            actor=request.user, practice=form.cleaned_data["practice"], data=data
        )


@admin.register(Insurer)
class InsurerAdmin(ServiceHistoryAdmin):
    """The insurer directory: the site's operators maintain it here (and through the API).
    Archived (is_active), never deleted: cases and clients name it."""

    list_display = ["name", "payer_id", "behavioral_health_org", "sca_fax", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "payer_id", "behavioral_health_org"]
    fields = [*INSURER_FIELDS]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_through_service(self, request, obj, form, change):
        data = as_data(service_data(form, INSURER_FIELDS), InsurerData)
        if change:
            return insurer_update(insurer=obj, actor=request.user, data=data)
        return insurer_create(actor=request.user, data=data)


@admin.register(InsurerContact)
class InsurerContactAdmin(ReadOnlyHistoryAdmin):
    list_display = ["insurer", "practice", "purpose", "fax", "email"]
    list_filter = ["purpose", "practice"]
    search_fields = ["insurer__name", "practice__name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class PolicyRateInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PolicyRate
    extra = 0


@admin.register(RatePolicy)
class RatePolicyAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "insurer", "practice", "line_of_business", "kind", "effective_from", "effective_to",
    ]  # fmt: skip
    list_filter = ["kind", "line_of_business", "practice", "insurer"]
    search_fields = ["insurer__name", "practice__name"]
    inlines = [PolicyRateInline]


class RequestedServiceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RequestedService
    extra = 0
    readonly_fields = ["billing_code", "modifier", "units", "unit_period", "requested_rate"]


class NetworkSearchInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NetworkSearch
    extra = 0
    readonly_fields = [
        "provider_name",
        "contacted_on",
        "method",
        "outcome",
        "wait_weeks",
        "distance_miles",
    ]
    exclude = ["notes", "provider_npi"]


class CaseEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["created_at", "actor", "kind", "message", "data"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Support view: read the case and its timeline; changes go through the app's services."""

    list_display = [
        "id",
        "practice",
        "client",
        "insurer",
        "reason",
        "status",
        "submitted_at",
        "created_at",
    ]
    list_filter = ["status", "reason", "service_type", "practice", "insurer"]
    search_fields = ["id", "client__last_name", "client__member_id", "insurer_reference"]
    list_select_related = ["practice", "client", "insurer"]
    date_hierarchy = "created_at"
    inlines = [RequestedServiceInline, NetworkSearchInline, CaseEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "case", "signer_relationship", "signed_on", "acknowledges_costs"]
    list_filter = ["signer_relationship", "acknowledges_costs"]
    readonly_fields = ["case", "file", "recorded_by", "created_at"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "case", "kind", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["case__id", "actor__username"]
    list_select_related = ["actor", "case"]
