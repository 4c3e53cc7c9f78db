"""The Django admin: support views for the site's operators.

Every write here goes through the service the API and the pages call (ServiceAdmin), or the
admin only reads (ReadOnlyAdminMixin) where a service is the only legal path, so that no
rule, history entry or case event is skipped.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from core.refusals import REFUSALS
from core.service_admin import (
    CaseRecordReads,
    LogsAdminReads,
    ReadOnlyAdminMixin,
    ReadOnlyHistoryAdmin,
    Refused,
    ServiceAdmin,
    ServiceHistoryAdmin,
    service_data,
)

from .models import (
    AccessLog,
    Case,
    CaseAttachment,
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
    ProviderDocument,
    RatePolicy,
    RequestedService,
    Role,
    Submission,
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
    practice_set_active,
    practice_update,
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
    """Through practice_create, practice_update, practice_set_active and the membership
    services."""

    list_display = ["name", "npi", "city", "state", "is_active"]
    list_filter = ["is_active", "state"]
    search_fields = ["name", "npi"]
    fields = [*PRACTICE_FIELDS, "is_active"]
    inlines = [MembershipInline]

    def save_through_service(self, request, obj, form, change):
        data = as_data(service_data(form, PRACTICE_FIELDS), PracticeData)
        if change:
            practice = practice_update(practice=obj, actor=request.user, data=data)
        else:
            practice = practice_create(actor=request.user, data=data)
        active = form.cleaned_data["is_active"]
        return practice_set_active(practice=practice, actor=request.user, is_active=active)

    def save_formset(self, request, form, formset, change):
        try:
            save_memberships(request, form.instance, formset)
        except REFUSALS as exc:
            raise Refused(exc) from exc


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
class ClientAdmin(LogsAdminReads, PracticeRecordAdmin):
    list_display = ["id", "last_name", "first_name", "practice", "insurer", "is_active"]
    list_filter = ["practice", "insurer", "is_active"]
    # By number only: the admin's search goes in the URL (?q=), and names never do.
    search_fields = ["=id"]

    def phi_pair(self, obj):
        return obj.pk, None

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


class CaseAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """What was attached, never the file: a download goes through the app and its access log."""

    model = CaseAttachment
    extra = 0
    readonly_fields = [
        "kind", "file_type", "page_count", "size_bytes", "uploaded_by", "created_at", "archived_at",
    ]  # fmt: skip
    fields = list(readonly_fields)


class SubmissionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Submission
    extra = 0
    readonly_fields = [
        "sent_at", "channel", "sent_to", "pages", "confirmation", "document", "recorded_by",
    ]  # fmt: skip
    fields = list(readonly_fields)


@admin.register(Case)
class CaseAdmin(LogsAdminReads, ReadOnlyAdminMixin, admin.ModelAdmin):
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
    # By number only: the admin's search goes in the URL (?q=), and names never do.
    search_fields = ["=id", "=insurer_reference"]
    list_select_related = ["practice", "client", "insurer"]
    date_hierarchy = "created_at"
    inlines = [
        RequestedServiceInline,
        NetworkSearchInline,
        CaseAttachmentInline,
        SubmissionInline,
        CaseEventInline,
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def phi_pair(self, obj):
        return obj.client_id, obj.pk


@admin.register(Consent)
class ConsentAdmin(CaseRecordReads, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "case", "signer_relationship", "signed_on", "acknowledges_costs"]
    list_filter = ["signer_relationship", "acknowledges_costs"]
    readonly_fields = ["case", "file", "recorded_by", "created_at"]


@admin.register(CaseEvent)
class CaseEventAdmin(CaseRecordReads, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "case", "kind", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["case__id", "actor__username"]
    list_select_related = ["actor", "case"]


@admin.register(ProviderDocument)
class ProviderDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Support view of credentials on file and when they lapse (the file itself is served by
    the app, which logs the read)."""

    list_display = ["id", "practice", "provider", "kind", "expires_on", "archived_at"]
    list_filter = ["kind", "practice"]
    list_select_related = ["practice", "provider"]
    exclude = ["file"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The access log, read only: no add, change or delete, for anyone (HIPAA keeps it six
    years; ``ReadOnlyAdminMixin`` also removes the delete-selected action). Clients and cases
    are shown by id, not by their names (``Client.__str__``): reading the log is not a read of
    patient data, and so is not itself logged."""

    list_display = ["at", "user", "practice", "action", "route", "method", "ip", "client_number"]
    list_filter = ["action", "practice"]
    search_fields = ["user__username", "route", "ip"]
    list_select_related = ["user", "practice"]
    date_hierarchy = "at"
    readonly_fields = [
        "at", "user", "practice", "action", "route", "method", "ip", "user_agent",
        "object_type", "object_id", "client_number", "case_number", "subject_ids",
    ]  # fmt: skip
    fields = tuple(readonly_fields)

    @admin.display(description="client")
    def client_number(self, entry: AccessLog) -> int | None:
        return entry.client_id

    @admin.display(description="case")
    def case_number(self, entry: AccessLog) -> int | None:
        return entry.case_id

    @admin.display(description="clients and cases carried")
    def subject_ids(self, entry: AccessLog) -> str:
        return ", ".join(
            f"client {s.client_id or '-'} case {s.case_id or '-'}" for s in entry.subjects.all()
        )
