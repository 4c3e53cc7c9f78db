from django.contrib import admin

from .models import BillingCode, Modifier


@admin.register(BillingCode)
class BillingCodeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "system",
        "short_description",
        "category",
        "unit_minutes",
        "is_aba",
        "is_active",
    ]
    list_filter = ["system", "category", "is_aba", "is_active"]
    search_fields = ["code", "short_description"]


@admin.register(Modifier)
class ModifierAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "description"]
