from .audit import AccessAction, AccessLog
from .case import (
    TRANSITIONS,
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    InitiatedBy,
    Reason,
    ServiceType,
)
from .documents import ACTIVE_STATUSES, Document, DocumentKind, DocumentStatus
from .parts import (
    Consent,
    NetworkSearch,
    RequestedService,
    SearchMethod,
    SearchOutcome,
    UnitPeriod,
)
from .people import Client, Credential, Provider
from .reference import (
    ContactPurpose,
    Insurer,
    InsurerContact,
    LineOfBusiness,
    PolicyKind,
    PolicyRate,
    RatePolicy,
    SubmissionChannel,
)
from .tenancy import Membership, Practice, Role

__all__ = [
    "AccessAction",
    "AccessLog",
    "ACTIVE_STATUSES",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "TRANSITIONS",
    "Case",
    "CaseAction",
    "CaseEvent",
    "CaseStatus",
    "Client",
    "ContactPurpose",
    "Consent",
    "Credential",
    "InitiatedBy",
    "Insurer",
    "InsurerContact",
    "LineOfBusiness",
    "Membership",
    "NetworkSearch",
    "PolicyKind",
    "PolicyRate",
    "Practice",
    "Provider",
    "RatePolicy",
    "Reason",
    "RequestedService",
    "Role",
    "SearchMethod",
    "SearchOutcome",
    "ServiceType",
    "SubmissionChannel",
    "UnitPeriod",
]
