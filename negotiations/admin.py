"""The Django admin for negotiations: offers, agreements and notifications are read-only (their
services are the only legal path); contacts and the fee schedule are written through their
services (see core.service_admin)."""

from django.contrib import admin

from core.service_admin import (
    CaseRecordReads,
    ReadOnlyAdminMixin,
    ReadOnlyHistoryAdmin,
    ServiceAdmin,
    ServiceHistoryAdmin,
    service_data,
)

from .models import (
    Agreement,
    AgreementLine,
    ContactLog,
    EmailOutbox,
    Notification,
    Offer,
    OfferLine,
    PracticeRate,
)
from .services.contacts import CONTACT_FIELDS, contact_log
from .services.fee_schedule import PRACTICE_RATE_FIELDS, practice_rate_delete, practice_rate_save


class OfferLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OfferLine
    extra = 0


@admin.register(Offer)
class OfferAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "case", "party", "received_on", "status"]
    list_filter = ["party", "status"]
    search_fields = ["case__id", "reference_number"]
    inlines = [OfferLineInline]


class AgreementLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AgreementLine
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyHistoryAdmin):
    list_display = ["authorization_number", "case", "start_date", "end_date", "sessions_authorized"]
    search_fields = ["authorization_number", "case__id"]
    date_hierarchy = "end_date"
    inlines = [AgreementLineInline]


@admin.register(ContactLog)
class ContactLogAdmin(CaseRecordReads, ServiceAdmin):
    """Logged through contact_log (its case event and follow-up date included); a logged
    contact is a record of what happened, so it is neither changed nor deleted."""

    list_display = ["case", "at", "direction", "channel", "follow_up_on"]
    list_filter = ["direction", "channel"]
    fields = ["case", *CONTACT_FIELDS]
    autocomplete_fields = ["case"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        return contact_log(
            case_id=form.cleaned_data["case"].pk,
            actor=request.user,
            **service_data(form, CONTACT_FIELDS),
        )


@admin.register(PracticeRate)
class PracticeRateAdmin(ServiceHistoryAdmin):
    """A practice's fee schedule, through practice_rate_save and practice_rate_delete."""

    list_display = ["practice", "billing_code", "modifier", "usual_rate", "floor_rate"]
    list_filter = ["practice"]
    fields = ["practice", *PRACTICE_RATE_FIELDS]
    deletes_through_service = True

    def get_readonly_fields(self, request, obj=None):
        return ["practice"] if obj else []  # a rate stays in its practice's schedule

    def save_through_service(self, request, obj, form, change):
        return practice_rate_save(
            actor=request.user,
            practice=obj.practice if change else form.cleaned_data["practice"],
            instance=obj if change else None,
            **service_data(form, PRACTICE_RATE_FIELDS),
        )

    def delete_through_service(self, request, obj) -> None:
        practice_rate_delete(actor=request.user, instance=obj)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "case", "kind", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(EmailOutbox)
class EmailOutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Operators find here the emails given up (``failed``, logged by id) and why."""

    list_display = ["id", "user", "key", "state", "attempts", "last_error", "sent_at"]
    list_filter = ["state"]
