from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Agreement,
    AgreementLine,
    ContactLog,
    Notification,
    Offer,
    OfferLine,
    PracticeRate,
)


class OfferLineInline(admin.TabularInline):
    model = OfferLine
    extra = 0


@admin.register(Offer)
class OfferAdmin(SimpleHistoryAdmin):
    list_display = ["id", "case", "party", "received_on", "status"]
    list_filter = ["party", "status"]
    search_fields = ["case__id", "reference_number"]
    inlines = [OfferLineInline]


class AgreementLineInline(admin.TabularInline):
    model = AgreementLine
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["authorization_number", "case", "start_date", "end_date", "sessions_authorized"]
    search_fields = ["authorization_number", "case__id"]
    date_hierarchy = "end_date"
    inlines = [AgreementLineInline]


@admin.register(ContactLog)
class ContactLogAdmin(admin.ModelAdmin):
    list_display = ["case", "at", "direction", "channel", "follow_up_on"]
    list_filter = ["direction", "channel"]


@admin.register(PracticeRate)
class PracticeRateAdmin(SimpleHistoryAdmin):
    list_display = ["practice", "billing_code", "modifier", "usual_rate", "floor_rate"]
    list_filter = ["practice"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "case", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
