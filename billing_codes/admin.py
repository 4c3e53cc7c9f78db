"""The catalog in the Django admin: the site's operators keep it here (and through the API),
and every write goes through the catalog's services, as the loader's do. Archived
(``is_active``), never deleted: rate policies, requests and agreements name the codes."""

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest

from core.auth import signed_in_user
from core.service_admin import ServiceHistoryAdmin, service_data

from .models import BillingCode, Modifier
from .services import (
    BILLING_CODE_FIELDS,
    MODIFIER_FIELDS,
    BillingCodeData,
    ModifierData,
    billing_code_save,
    modifier_save,
)


@admin.register(BillingCode)
class BillingCodeAdmin(ServiceHistoryAdmin):
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
    fields = [*BILLING_CODE_FIELDS]

    def save_through_service(
        self, request: HttpRequest, obj: BillingCode, form: Any, change: bool
    ) -> BillingCode:
        # The form's fields are the TypedDict's keys; the service refuses any other.
        data = cast(BillingCodeData, service_data(form, BILLING_CODE_FIELDS))
        return billing_code_save(
            instance=obj if change else None, actor=signed_in_user(request), data=data
        )


@admin.register(Modifier)
class ModifierAdmin(ServiceHistoryAdmin):
    list_display = ["code", "description", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "description"]
    fields = [*MODIFIER_FIELDS]

    def save_through_service(
        self, request: HttpRequest, obj: Modifier, form: Any, change: bool
    ) -> Modifier:
        data = cast(ModifierData, service_data(form, MODIFIER_FIELDS))
        return modifier_save(
            instance=obj if change else None, actor=signed_in_user(request), data=data
        )
