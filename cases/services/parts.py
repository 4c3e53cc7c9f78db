"""Writes to what a case is made of: in-network searches, requested services and consents
(with their scans), each only while the case is a draft."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from billing_codes.models import BillingCode
from cases.models import Consent, FileType, NetworkSearch, RequestedService
from cases.workspace import usual_rate

from .attachments import file_type_of
from .case import changes_for_event, lock_case, record_event, require_draft
from .common import apply_fields, clean_and_save, lock_row
from .reference import validate_modifier

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# What a caller may set, per part of a case; an update names only what it changes.
class SearchData(TypedDict, total=False):
    provider_name: str
    provider_npi: str
    contact_name: str
    contact_phone: str
    contacted_on: dt.date
    method: str
    outcome: str
    wait_weeks: int | None
    distance_miles: Decimal | None
    notes: str


class ServiceData(TypedDict, total=False):
    billing_code: BillingCode
    modifier: str
    units: int
    unit_period: str
    requested_rate: Decimal | None
    units_remaining: int | None  # care under way: left on the prior authorization


class ConsentData(TypedDict, total=False):
    signer_name: str
    signer_relationship: str
    signed_on: dt.date
    acknowledges_costs: bool
    estimated_patient_cost: Decimal | None
    method: str


SEARCH_FIELDS = list(SearchData.__annotations__)
SERVICE_FIELDS = list(ServiceData.__annotations__)
CONSENT_FIELDS = list(ConsentData.__annotations__)

# ----------------------------------------------------------------------------- network searches


@transaction.atomic
def network_search_add(*, case_id: int, actor: User, data: SearchData) -> NetworkSearch:
    case = lock_case(case_id)
    require_draft(case, "The in-network search log")
    search = NetworkSearch(case=case)
    apply_fields(search, data, SEARCH_FIELDS)
    clean_and_save(search)
    record_event(
        case,
        actor,
        "search_added",
        f"In-network attempt recorded: {search.get_outcome_display()}.",
        {"network_search": search.pk},
    )
    return search


@transaction.atomic
def network_search_update(*, search_id: int, actor: User, data: SearchData) -> NetworkSearch:
    search = lock_row(NetworkSearch.objects.all(), search_id, "This in-network attempt")
    case = lock_case(search.case_id)
    require_draft(case, "The in-network search log")
    changed = apply_fields(search, data, SEARCH_FIELDS)
    if changed:
        clean_and_save(search)
        record_event(
            case,
            actor,
            "search_updated",
            "In-network attempt changed.",
            {"network_search": search.pk, "changed": changes_for_event(changed)},
        )
    return search


@transaction.atomic
def network_search_remove(*, search_id: int, actor: User) -> None:
    search = lock_row(NetworkSearch.objects.all(), search_id, "This in-network attempt")
    case = lock_case(search.case_id)
    require_draft(case, "The in-network search log")
    search.delete()
    record_event(
        case, actor, "search_removed", "In-network attempt removed.", {"network_search": search_id}
    )


# ----------------------------------------------------------------------------- requested services


def _normalize_service(service: RequestedService) -> None:
    service.modifier = validate_modifier(service.modifier)
    code = BillingCode.objects.filter(pk=service.billing_code_id).first()
    if code is None:
        raise ValidationError({"billing_code": "No such billing code."})
    duplicate = (
        RequestedService.objects.filter(
            case_id=service.case_id,
            billing_code_id=service.billing_code_id,
            modifier=service.modifier,
        )
        .exclude(pk=service.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError(
            {"billing_code": f"{code.code} {service.modifier} is already requested."}
        )


@transaction.atomic
def service_add(*, case_id: int, actor: User, data: ServiceData) -> RequestedService:
    case = lock_case(case_id)
    require_draft(case, "The requested services")
    service = RequestedService(case=case)
    apply_fields(service, data, SERVICE_FIELDS)
    _normalize_service(service)
    if service.requested_rate is None:  # the practice's usual rate, when it has one
        service.requested_rate = usual_rate(
            case.practice_id, service.billing_code_id, service.modifier
        )
    clean_and_save(service)
    record_event(case, actor, "service_added", f"Requested {service}.", {"service": service.pk})
    return service


@transaction.atomic
def service_update(*, service_id: int, actor: User, data: ServiceData) -> RequestedService:
    service = lock_row(RequestedService.objects.all(), service_id, "This requested service")
    case = lock_case(service.case_id)
    require_draft(case, "The requested services")
    changed = apply_fields(service, data, SERVICE_FIELDS)
    if changed:
        _normalize_service(service)
        clean_and_save(service)
        record_event(
            case,
            actor,
            "service_updated",
            f"Changed {service}.",
            {"service": service.pk, "changed": changes_for_event(changed)},
        )
    return service


@transaction.atomic
def service_remove(*, service_id: int, actor: User) -> None:
    requested = RequestedService.objects.select_related("billing_code")
    service = lock_row(requested, service_id, "This requested service")
    case = lock_case(service.case_id)
    require_draft(case, "The requested services")
    label = str(service)
    service.delete()
    record_event(case, actor, "service_removed", f"Removed {label}.", {"service": service_id})


# ----------------------------------------------------------------------------- consents


def validate_upload(upload: UploadedFile[bytes]) -> str:
    """PDF, PNG or JPEG only, judged by the file's first bytes (not its name), size-limited:
    the check attachments start with (``file_check`` goes on to open the file)."""
    file_type = file_type_of(
        upload, refusal="Upload the signed consent as a PDF, PNG or JPEG file."
    )
    return "jpg" if file_type == FileType.JPEG else file_type


@transaction.atomic
def consent_add(
    *, case_id: int, actor: User, data: ConsentData, file: UploadedFile[bytes] | None = None
) -> Consent:
    case = lock_case(case_id)
    require_draft(case, "Consents")
    consent = Consent(case=case, recorded_by=actor if getattr(actor, "pk", None) else None)
    apply_fields(consent, data, CONSENT_FIELDS)
    consent.full_clean(exclude=["file"])
    if file is not None:
        ext = validate_upload(file)
        file.name = f"consent.{ext}"  # the stored name is random; see consent_upload_to
        consent.file = file
    consent.save()
    record_event(
        case,
        actor,
        "consent_added",
        "Consent recorded.",
        {"consent": consent.pk, "with_scan": bool(file)},
    )
    return consent


@transaction.atomic
def consent_update(
    *, consent_id: int, actor: User, data: ConsentData, file: UploadedFile[bytes] | None = None
) -> Consent:
    consent = lock_row(Consent.objects.all(), consent_id, "This consent")
    case = lock_case(consent.case_id)
    require_draft(case, "Consents")
    changed = apply_fields(consent, data, CONSENT_FIELDS)
    consent.full_clean(exclude=["file"])
    old_file = consent.file.name if consent.file else ""
    if file is not None:
        ext = validate_upload(file)
        file.name = f"consent.{ext}"
        consent.file = file
        changed["file"] = ("", "(new scan)")
    if changed:
        consent.save()
        if file is not None and old_file:
            storage = consent.file.storage
            transaction.on_commit(
                lambda: _delete_replaced(storage, old_file, consent.pk), robust=True
            )
        record_event(
            case,
            actor,
            "consent_updated",
            "Consent changed.",
            {"consent": consent.pk, "changed": changes_for_event(changed)},
        )
    return consent


def _delete_replaced(storage: Storage, name: str, consent_id: int) -> None:
    """After the commit: the scan no record names any more. The change is saved whatever
    happens here; a scan the storage could not delete just now is left, and logged by id."""
    try:
        storage.delete(name)
    except Exception as exc:
        logger.warning(
            "consent %s: its old scan was not deleted (%s)", consent_id, type(exc).__name__
        )


@transaction.atomic
def consent_remove(*, consent_id: int, actor: User) -> None:
    consent = lock_row(Consent.objects.all(), consent_id, "This consent")
    case = lock_case(consent.case_id)
    require_draft(case, "Consents")
    name = consent.file.name if consent.file else ""
    storage = consent.file.storage
    consent.delete()
    if name:
        transaction.on_commit(lambda: _delete_replaced(storage, name, consent_id), robust=True)
    record_event(case, actor, "consent_removed", "Consent removed.", {"consent": consent_id})
