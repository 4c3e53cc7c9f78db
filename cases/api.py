"""The cases API: thin ViewSets that shape input, call one service, and shape output."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sca_portal.api import FilterBackend

from . import selectors, services
from .audit_api import AccessLogViewSet
from .downloads import consent_response, document_response
from .filters import CaseFilter, CaseSearchFilter, RatePolicyFilter
from .models import (
    Case,
    CaseEvent,
    Consent,
    Document,
    Insurer,
    NetworkSearch,
    RequestedService,
    Role,
)
from .permissions import (
    PracticeRolePermission,
    ReferenceDataPermission,
    allowed_actions,
    can,
    practice_ids_where,
    role_for,
)
from .serializers import (
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseListSerializer,
    CaseWriteSerializer,
    ClientSerializer,
    ConsentSerializer,
    DocumentRequestSerializer,
    DocumentSerializer,
    InsurerContactSerializer,
    InsurerSerializer,
    NetworkSearchSerializer,
    PracticeSerializer,
    ProviderSerializer,
    RatePolicyReviseSerializer,
    RatePolicySerializer,
    ReadinessSerializer,
    ReasonSerializer,
    RequestedServiceSerializer,
    SubmitSerializer,
    case_rows,
    case_rows_in_order,
)

# ----------------------------------------------------------------------------- tenancy


class PracticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The practices the user belongs to, with the user's role in each. Admins edit theirs."""

    serializer_class = PracticeSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return selectors.practices_for(self.request.user)

    def update(self, request, *args, **kwargs):
        # The role is checked before the body is validated: 403 means "not yours to change".
        if not can(request.user, self.get_object().pk, "practice"):
            raise PermissionDenied("Only an administrator of this practice may change it.")
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.practice_update(
            practice=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


class ArchiveOnDeleteMixin:
    """Records holding patient data are archived, never deleted (``is_active`` false)."""

    def perform_destroy(self, instance):
        self.update_service(instance, is_active=False)


class ClientViewSet(ArchiveOnDeleteMixin, viewsets.ModelViewSet):
    """A practice's clients. DELETE archives (the record is kept)."""

    serializer_class = ClientSerializer
    permission_classes = [PracticeRolePermission]
    filterset_fields = ["practice", "insurer", "is_active"]
    search_fields = ["first_name", "last_name", "member_id"]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.clients_visible_to(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        client = self.get_object()
        services.access_record(user=request.user, action="view_client", obj=client)
        return Response(self.get_serializer(client).data)

    def update_service(self, instance, **data):
        return services.client_update(client=instance, actor=self.request.user, **data)

    def perform_create(self, serializer):
        serializer.instance = services.client_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(serializer.instance, **serializer.validated_data)


class ProviderViewSet(ArchiveOnDeleteMixin, viewsets.ModelViewSet):
    """A practice's treating providers. DELETE archives."""

    serializer_class = ProviderSerializer
    permission_classes = [PracticeRolePermission]
    filterset_fields = ["practice", "credential", "is_active"]
    search_fields = ["first_name", "last_name", "npi"]
    ordering_fields = ["last_name", "first_name", "credential", "created_at"]

    def get_queryset(self):
        return selectors.providers_visible_to(self.request.user)

    def update_service(self, instance, **data):
        return services.provider_update(provider=instance, actor=self.request.user, **data)

    def perform_create(self, serializer):
        serializer.instance = services.provider_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(serializer.instance, **serializer.validated_data)


# ----------------------------------------------------------------------------- reference data


class InsurerViewSet(viewsets.ModelViewSet):
    """The insurer directory, shared by every practice and maintained by the site's operators
    (Django staff with the insurer permissions); members of practices read it. DELETE archives:
    existing cases and clients keep the insurer, new cases may not name it."""

    serializer_class = InsurerSerializer
    permission_classes = [ReferenceDataPermission]
    queryset = Insurer.objects.all()
    filterset_fields = ["is_active"]
    search_fields = ["name", "payer_id", "behavioral_health_org"]
    ordering_fields = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.insurer_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.insurer_update(
            insurer=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.insurer_update(insurer=instance, actor=self.request.user, is_active=False)


class PracticeAdminWritesMixin:
    """Records a practice keeps for itself: its members read them, its administrators write
    them, and another practice's are not found (404)."""

    permission_classes = [PracticeRolePermission]
    role_action = "reference"
    refusal = "Only an administrator of the practice changes this."

    def create(self, request, *args, **kwargs):
        # Refused before the body is read when the user administers no practice.
        if not practice_ids_where(request.user, "reference"):
            raise PermissionDenied(self.refusal)
        return super().create(request, *args, **kwargs)

    def checked_practice(self, data: dict):
        practice = data.pop("practice")
        if not can(self.request.user, practice.pk, "reference"):
            raise PermissionDenied(self.refusal)
        return practice


class RatePolicyViewSet(PracticeAdminWritesMixin, viewsets.ModelViewSet):
    """The practice's dated SCA rate policies per insurer and line of business, with their
    per-code rates. Periods of one practice, insurer and line of business never overlap.
    ``rates`` given on update replaces the policy's rates. DELETE of a policy a case was
    submitted under is refused (409 ``in_use``): end it with ``effective_to``, or ``revise``."""

    serializer_class = RatePolicySerializer
    filterset_class = RatePolicyFilter
    search_fields = ["insurer__name"]
    ordering_fields = ["effective_from", "insurer__name"]
    refusal = "Only an administrator of the practice changes its rate policies."

    def get_queryset(self):
        return selectors.rate_policies_visible_to(self.request.user).prefetch_related(
            "rates__billing_code"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = self.checked_practice(data)
        serializer.instance = services.rate_policy_create(
            actor=self.request.user, practice=practice, **data
        )

    def perform_update(self, serializer):
        serializer.instance = services.rate_policy_update(
            policy=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.rate_policy_delete(policy=instance, actor=self.request.user)

    @extend_schema(request=RatePolicyReviseSerializer, responses={201: RatePolicySerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """New terms from ``effective_from`` on, for ``reason``: this policy ends the day
        before and a new one (its fields and rates, changed by the body) takes over."""
        policy = self.get_object()
        body = RatePolicyReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.rate_policy_revise(policy=policy, actor=request.user, **body.validated_data)
        fresh = self.get_queryset().get(pk=new.pk)
        return Response(RatePolicySerializer(fresh).data, status=status.HTTP_201_CREATED)


class InsurerContactViewSet(PracticeAdminWritesMixin, viewsets.ModelViewSet):
    """The practice's own SCA contact per insurer and purpose (``sca_request``, ``appeals``):
    letters and the insurer page use its filled fields before the directory's."""

    serializer_class = InsurerContactSerializer
    filterset_fields = ["practice", "insurer", "purpose"]
    search_fields = ["insurer__name", "department"]
    ordering_fields = ["insurer__name", "purpose"]
    refusal = "Only an administrator of the practice changes its insurer contacts."

    def get_queryset(self):
        return selectors.insurer_contacts_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = self.checked_practice(data)
        serializer.instance = services.insurer_contact_create(
            actor=self.request.user, practice=practice, **data
        )

    def perform_update(self, serializer):
        serializer.instance = services.insurer_contact_update(
            contact=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.insurer_contact_delete(contact=instance, actor=self.request.user)


# ----------------------------------------------------------------------------- cases


# Actions a person takes (expire is the scheduler's), and the role each needs.
class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """SCA cases. Updates carry ``version``; a stale one gets 409 ``stale_version``.
    ``search`` matches client name, member id and the insurer's reference numbers."""

    permission_classes = [PracticeRolePermission]
    filterset_class = CaseFilter
    filter_backends = [FilterBackend, CaseSearchFilter, OrderingFilter]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "client__member_id",
        "insurer_reference",
        "authorization_number",
    ]
    ordering_fields = [
        "created_at",
        "updated_at",
        "submitted_at",
        "decided_at",
        "planned_start_date",
        "requested_start",
        "follow_up_on",
        "status",
        "client__last_name",
        "insurer__name",
    ]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.case_list_for(self.request.user)
        if self.action == "retrieve":
            return selectors.case_detail_for(self.request.user)
        return selectors.case_list_for(self.request.user)

    def load_page_rows(self, ids) -> dict[int, dict]:
        return case_rows(ids)

    def load_page_rows_in_order(self, queryset) -> list[dict]:
        return case_rows_in_order(queryset)

    def list(self, request, *args, **kwargs):
        # The paginator finds the page's ids under every filter; case_rows builds the rows.
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(rows)

    def get_serializer_class(self):
        if self.action == "list":
            return CaseListSerializer
        if self.action in ("create", "update", "partial_update"):
            return CaseWriteSerializer
        return CaseDetailSerializer

    def _detail(self, case_id: int, code=status.HTTP_200_OK) -> Response:
        case = selectors.case_detail_for(self.request.user).get(pk=case_id)
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        data["allowed_actions"] = allowed_actions(case, self.request.user)
        return Response(data, status=code)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        services.access_record(user=request.user, action="view_case", obj=case)
        data = self.get_serializer(case).data
        data["allowed_actions"] = allowed_actions(case, request.user)
        return Response(data)

    @extend_schema(request=CaseWriteSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CaseWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can(request.user, data["practice"].pk, "case"):
            raise PermissionDenied("Your role in this practice does not allow this.")
        case = services.case_create(actor=request.user, **data)
        return self._detail(case.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CaseWriteSerializer, responses={200: CaseDetailSerializer})
    def update(self, request, *args, **kwargs):
        case = self.get_object()
        serializer = CaseWriteSerializer(
            case,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        services.case_update(case_id=case.pk, actor=request.user, version=version, **data)
        return self._detail(case.pk)

    @extend_schema(request=SubmitSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Run the readiness checks and submit; every failing check comes back at once."""
        case = self.get_object()
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.case_submit(case_id=case.pk, actor=request.user, **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=ReasonSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Record the insurer's denial."""
        case = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.case_deny(case_id=case.pk, actor=request.user, **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=ReasonSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        case = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.case_withdraw(case_id=case.pk, actor=request.user, **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=None, responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Start the renewal: a new draft linked to this case."""
        case = self.get_object()
        new = services.case_renew(case_id=case.pk, actor=request.user)
        return self._detail(new.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: ReadinessSerializer})
    @action(detail=True, methods=["get"])
    def readiness(self, request, pk=None):
        case = self.get_object()
        return Response(selectors.case_readiness(case).as_dict())


class CaseChildMixin:
    """Sub-resources of one case (``cases/{case_pk}/...``): the case is looked up through the
    tenant selector (another practice's case is 404), and writes need a role in its practice."""

    lookup_value_regex = r"[0-9]{1,9}"
    role_action = "case"  # ACTION_ROLES: the least role that may write here

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return self.queryset
        return self.child_queryset(self.get_case())

    def get_case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = selectors.get_case_for(self.request.user, self.kwargs["case_pk"])
        return self._case

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        case = self.get_case()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not can(
            request.user, case.practice_id, self.role_action
        ):
            role = Role(role_for(self.role_action)).label.lower()
            raise PermissionDenied(f"This needs the {role} role in this practice.")


class NetworkSearchViewSet(CaseChildMixin, viewsets.ModelViewSet):
    """The documented attempts to find an in-network provider (editable while draft)."""

    serializer_class = NetworkSearchSerializer
    pagination_class = None
    filter_backends = []

    queryset = NetworkSearch.objects.none()

    def child_queryset(self, case):
        return case.network_searches.all()

    def perform_create(self, serializer):
        serializer.instance = services.network_search_add(
            case_id=self.get_case().pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.network_search_update(
            search_id=serializer.instance.pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.network_search_remove(search_id=instance.pk, actor=self.request.user)


class RequestedServiceViewSet(CaseChildMixin, viewsets.ModelViewSet):
    """The billing codes requested, with units, period and rate (editable while draft)."""

    serializer_class = RequestedServiceSerializer
    pagination_class = None
    filter_backends = []

    queryset = RequestedService.objects.none()

    def child_queryset(self, case):
        return case.services.select_related("billing_code")

    def perform_create(self, serializer):
        serializer.instance = services.service_add(
            case_id=self.get_case().pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.service_update(
            service_id=serializer.instance.pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.service_remove(service_id=instance.pk, actor=self.request.user)


class ConsentViewSet(CaseChildMixin, viewsets.ModelViewSet):
    """Signed consents (JSON, or multipart with the signed scan in ``file``: PDF, PNG, JPEG).
    The scan is stored privately and downloaded through ``.../consents/{id}/file/``."""

    serializer_class = ConsentSerializer
    pagination_class = None
    filter_backends = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    queryset = Consent.objects.none()

    def child_queryset(self, case):
        return case.consents.all()

    def perform_create(self, serializer):
        serializer.instance = services.consent_add(
            case_id=self.get_case().pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.consent_update(
            consent_id=serializer.instance.pk, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.consent_remove(consent_id=instance.pk, actor=self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def file(self, request, case_pk=None, pk=None):
        consent = self.get_object()
        if not consent.file:
            raise Http404("No scan was uploaded for this consent.")
        return consent_response(request.user, consent)


class CaseEventViewSet(CaseChildMixin, viewsets.ReadOnlyModelViewSet):
    """The case's timeline, oldest first."""

    serializer_class = CaseEventSerializer
    filter_backends = []

    queryset = CaseEvent.objects.none()

    def child_queryset(self, case):
        return case.events.select_related("actor")


class CaseDocumentViewSet(CaseChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The case's generated documents. POST ``{"kind"}`` queues one (202) and a worker renders
    it; while one of that kind is queued or rendering, the same one comes back (200)."""

    serializer_class = DocumentSerializer
    queryset = Document.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return case.documents.all()

    @extend_schema(
        request=DocumentRequestSerializer,
        responses={202: DocumentSerializer, 200: DocumentSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = DocumentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document, created = services.document_request(
            case_id=self.get_case().pk, actor=request.user, kind=body.validated_data["kind"]
        )
        document.refresh_from_db()
        return Response(
            DocumentSerializer(document).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class DocumentViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Documents of the user's practices: status while rendering, then ``download/``."""

    serializer_class = DocumentSerializer
    filterset_fields = ["case", "kind", "status"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return selectors.documents_visible_to(self.request.user)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        document = self.get_object()
        if document.status != "ready" or not document.file:
            return Response(
                {"code": "not_ready", "detail": f"The document is {document.status}."},
                status=status.HTTP_409_CONFLICT,
            )
        return document_response(request.user, document)


def register(router) -> None:
    router.register("practices", PracticeViewSet, basename="practice")
    router.register("clients", ClientViewSet, basename="client")
    router.register("providers", ProviderViewSet, basename="provider")
    router.register("insurers", InsurerViewSet, basename="insurer")
    router.register("rate-policies", RatePolicyViewSet, basename="rate-policy")
    router.register("insurer-contacts", InsurerContactViewSet, basename="insurer-contact")
    router.register("cases", CaseViewSet, basename="case")
    case = r"cases/(?P<case_pk>[0-9]{1,9})"
    router.register(
        f"{case}/network-searches", NetworkSearchViewSet, basename="case-network-search"
    )
    router.register(f"{case}/services", RequestedServiceViewSet, basename="case-service")
    router.register(f"{case}/consents", ConsentViewSet, basename="case-consent")
    router.register(f"{case}/events", CaseEventViewSet, basename="case-event")
    router.register(f"{case}/documents", CaseDocumentViewSet, basename="case-document")
    router.register("documents", DocumentViewSet, basename="document")
    router.register("audit/access-log", AccessLogViewSet, basename="audit-access-log")
