from django.contrib import admin
from django.db import models
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
)
from .services.reference import INSURER_FIELDS, insurer_create, insurer_update


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "npi", "city", "state", "is_active"]
    list_filter = ["is_active", "state"]
    search_fields = ["name", "npi"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "practice", "role", "created_at"]
    list_filter = ["role", "practice"]
    search_fields = ["user__username", "user__email", "practice__name"]
    autocomplete_fields = ["user", "practice"]


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = ["id", "last_name", "first_name", "practice", "insurer", "is_active"]
    list_filter = ["practice", "insurer", "is_active"]
    search_fields = ["last_name", "first_name", "member_id"]
    autocomplete_fields = ["practice", "insurer"]


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "credential", "npi", "practice", "is_active"]
    list_filter = ["practice", "credential", "is_active"]
    search_fields = ["last_name", "first_name", "npi"]
    autocomplete_fields = ["practice"]


@admin.register(Insurer)
class InsurerAdmin(SimpleHistoryAdmin):
    """The insurer directory: the site's operators maintain it here (and through the API)."""

    list_display = ["name", "payer_id", "behavioral_health_org", "sca_fax", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "payer_id", "behavioral_health_org"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archived (is_active), never deleted: cases and clients name it

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in INSURER_FIELDS if f in form.cleaned_data}
        if change:
            saved = insurer_update(insurer=obj, actor=request.user, **data)
        else:
            saved = insurer_create(actor=request.user, **data)
        obj.pk = saved.pk


class ReadOnlyAdminMixin:
    """Support views of what a practice keeps for itself: its administrators write it, in the
    application and the API; operators read it here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InsurerContact)
class InsurerContactAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["insurer", "practice", "purpose", "fax", "email"]
    list_filter = ["purpose", "practice"]
    search_fields = ["insurer__name", "practice__name"]


class PolicyRateInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PolicyRate
    extra = 0


@admin.register(RatePolicy)
class RatePolicyAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "insurer", "practice", "line_of_business", "kind", "effective_from", "effective_to",
    ]  # fmt: skip
    list_filter = ["kind", "line_of_business", "practice", "insurer"]
    search_fields = ["insurer__name", "practice__name"]
    inlines = [PolicyRateInline]


class RequestedServiceInline(admin.TabularInline):
    model = RequestedService
    extra = 0
    readonly_fields = ["billing_code", "modifier", "units", "unit_period", "requested_rate"]
    can_delete = False


class NetworkSearchInline(admin.TabularInline):
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
    can_delete = False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["created_at", "actor", "kind", "message", "data"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "signer_relationship", "signed_on", "acknowledges_costs"]
    list_filter = ["signer_relationship", "acknowledges_costs"]
    readonly_fields = ["case", "file", "recorded_by", "created_at"]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case", "kind", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["case__id", "actor__username"]
    list_select_related = ["actor", "case"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
