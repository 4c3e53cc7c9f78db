"""Where the cases API's resources are on the router."""

from __future__ import annotations

from .appeals import AppealViewSet
from .attachments import CaseAttachmentViewSet, ProviderDocumentViewSet
from .audit import AccessLogViewSet
from .case import CaseEventViewSet, CaseViewSet
from .documents import CaseDocumentViewSet, DocumentViewSet
from .parts import ConsentViewSet, NetworkSearchViewSet, RequestedServiceViewSet
from .people import ClientViewSet, ProviderViewSet
from .reference import InsurerContactViewSet, InsurerViewSet, RatePolicyViewSet
from .submissions import SubmissionViewSet
from .tenancy import PracticeViewSet


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
    router.register(f"{case}/submissions", SubmissionViewSet, basename="case-submission")
    router.register(f"{case}/attachments", CaseAttachmentViewSet, basename="case-attachment")
    router.register(f"{case}/appeals", AppealViewSet, basename="case-appeal")
    router.register("provider-documents", ProviderDocumentViewSet, basename="provider-document")
    router.register("documents", DocumentViewSet, basename="document")
    router.register("audit/access-log", AccessLogViewSet, basename="audit-access-log")
