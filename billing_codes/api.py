from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import viewsets

from . import services
from .models import BillingCode, Modifier
from .serializers import BillingCodeSerializer, ModifierSerializer


def reference_permission():
    # Who may change reference data is decided where memberships live (cases); the
    # settings wire it in so that billing_codes depends on nothing above it.
    return import_string(settings.REFERENCE_DATA_PERMISSION_CLASS)


class ServiceSaveMixin:
    """Writes go through the app's service; the serializer only shapes and checks input."""

    save_service = None

    def perform_create(self, serializer):
        serializer.instance = type(self).save_service(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = type(self).save_service(
            instance=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def get_permissions(self):
        return [reference_permission()()]

    def perform_destroy(self, instance):
        # Codes are referenced by cases and agreements: retire instead of deleting.
        type(self).save_service(instance=instance, actor=self.request.user, is_active=False)


class BillingCodeViewSet(ServiceSaveMixin, viewsets.ModelViewSet):
    """The billing-code catalog. Everyone signed in reads it; the site's operators maintain it.
    Deleting a code retires it (``is_active`` false)."""

    queryset = BillingCode.objects.all()
    serializer_class = BillingCodeSerializer
    filterset_fields = ["system", "category", "is_aba", "is_active"]
    search_fields = ["code", "short_description"]
    ordering_fields = ["code", "category"]
    save_service = staticmethod(services.billing_code_save)


class ModifierViewSet(ServiceSaveMixin, viewsets.ModelViewSet):
    queryset = Modifier.objects.all()
    serializer_class = ModifierSerializer
    filterset_fields = ["is_active"]
    search_fields = ["code", "description"]
    ordering_fields = ["code"]
    save_service = staticmethod(services.modifier_save)


def register(router) -> None:
    router.register("billing-codes", BillingCodeViewSet, basename="billing-code")
    router.register("modifiers", ModifierViewSet, basename="modifier")
