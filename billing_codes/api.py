from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.conf import settings
from django.db.models import Model
from django.utils.module_loading import import_string
from rest_framework import viewsets
from rest_framework.permissions import BasePermission
from rest_framework.routers import BaseRouter
from rest_framework.serializers import BaseSerializer

from core.auth import signed_in_user

from . import services
from .models import BillingCode, Modifier
from .serializers import BillingCodeSerializer, ModifierSerializer

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_M = TypeVar("_M", bound=Model)


def reference_permission() -> type[BasePermission]:
    # Who may change reference data is decided where memberships live (cases); the
    # settings wire it in so that billing_codes depends on nothing above it.
    permission: type[BasePermission] = import_string(settings.REFERENCE_DATA_PERMISSION_CLASS)
    return permission


class SaveService(Protocol[_M]):
    # data: the serializer's validated data, which the service types as its own TypedDict.
    def __call__(self, *, instance: _M | None = ..., actor: User, data: Any) -> _M: ...


class CatalogViewSet(viewsets.ModelViewSet[_M]):
    """Writes go through the app's service; the serializer only shapes and checks input."""

    save_service: SaveService[_M]

    def perform_create(self, serializer: BaseSerializer[_M]) -> None:
        serializer.instance = type(self).save_service(
            actor=signed_in_user(self.request), data=serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[_M]) -> None:
        serializer.instance = type(self).save_service(
            instance=serializer.instance,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def get_permissions(self) -> list[BasePermission]:
        return [reference_permission()()]

    def perform_destroy(self, instance: _M) -> None:
        # Codes are referenced by cases and agreements: retire instead of deleting.
        type(self).save_service(
            instance=instance, actor=signed_in_user(self.request), data={"is_active": False}
        )


class BillingCodeViewSet(CatalogViewSet[BillingCode]):
    """The billing-code catalog. Everyone signed in reads it; the site's operators maintain it.
    Deleting a code retires it (``is_active`` false)."""

    queryset = BillingCode.objects.all()
    serializer_class = BillingCodeSerializer
    filterset_fields = ["system", "category", "is_aba", "is_active"]
    search_fields = ["code", "short_description"]
    ordering_fields = ["code", "category"]
    save_service = staticmethod(services.billing_code_save)


class ModifierViewSet(CatalogViewSet[Modifier]):
    queryset = Modifier.objects.all()
    serializer_class = ModifierSerializer
    filterset_fields = ["is_active"]
    search_fields = ["code", "description"]
    ordering_fields = ["code"]
    save_service = staticmethod(services.modifier_save)


def register(router: BaseRouter) -> None:
    router.register("billing-codes", BillingCodeViewSet, basename="billing-code")
    router.register("modifiers", ModifierViewSet, basename="modifier")
