"""Clinical attachments and provider or practice documents, as the user may see them, in the
order a packet carries them, and the credentials about to lapse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Case as CaseWhen
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from cases.models import (
    ATTACHMENT_ORDER,
    PROVIDER_DOCUMENT_ORDER,
    Case,
    CaseAttachment,
    ProviderDocument,
)

from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

EXPIRY_WARNING_DAYS = 30


def _in_order(order: dict[str, int]) -> CaseWhen:
    """A kind's place as the database sorts it (what a reviewer reads first comes first)."""
    return CaseWhen(
        *[When(kind=kind, then=Value(i)) for kind, i in order.items()],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


# ----------------------------------------------------------------------------- case attachments


def attachments_visible_to(user: User | AnonymousUser) -> QuerySet[CaseAttachment]:
    return CaseAttachment.objects.filter(case__practice_id__in=practice_ids_for(user))


def attachments_of(case: Case, *, archived: bool = False) -> QuerySet[CaseAttachment]:
    """The case's current attachments (with ``archived``, the archived ones too), by kind in
    packet order, then in the order they were uploaded."""
    rows = CaseAttachment.objects.filter(case_id=case.pk).select_related("uploaded_by")
    if not archived:
        rows = rows.filter(archived_at__isnull=True)
    return rows.order_by(_in_order(ATTACHMENT_ORDER), "created_at", "id")


def attachment_for(user: User | AnonymousUser, pk: int | str) -> CaseAttachment:
    """The attachment if the user may see it; another practice's is simply not found."""
    try:
        return attachments_visible_to(user).select_related("case").get(pk=pk)
    except (CaseAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None


# ----------------------------------------------------------------------------- provider documents


def provider_documents_visible_to(user: User | AnonymousUser) -> QuerySet[ProviderDocument]:
    return ProviderDocument.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "provider", "uploaded_by"
    )


def provider_document_for(user: User | AnonymousUser, pk: int | str) -> ProviderDocument:
    try:
        return provider_documents_visible_to(user).get(pk=pk)
    except (ProviderDocument.DoesNotExist, ValueError, TypeError):
        raise Http404("No such document.") from None


def provider_documents_for(
    practice_id: int, provider_id: int | None, kinds: Iterable[str] | None = None
) -> QuerySet[ProviderDocument]:
    """What a packet can carry for a provider: the current documents of those ``kinds`` (all
    kinds when None) kept on the provider first, then the practice's own (no provider), each
    group in kind order, newest first."""
    rows = ProviderDocument.objects.filter(
        practice_id=practice_id, archived_at__isnull=True
    ).select_related("provider")
    if provider_id is None:
        rows = rows.filter(provider__isnull=True)
    else:
        rows = rows.filter(Q(provider_id=provider_id) | Q(provider__isnull=True))
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.order_by(
        F("provider_id").asc(nulls_last=True),
        _in_order(PROVIDER_DOCUMENT_ORDER),
        "-created_at",
        "-id",
    )


def lapsing(
    rows: QuerySet[ProviderDocument], on: dt.date, within_days: int = EXPIRY_WARNING_DAYS
) -> QuerySet[ProviderDocument]:
    """Of ``rows``, the current documents that lapse within ``within_days`` of ``on``, or
    already have, soonest first."""
    return rows.filter(
        archived_at__isnull=True, expires_on__lte=on + dt.timedelta(days=within_days)
    ).order_by("expires_on", "id")


def expiring_provider_documents(
    practice_id: int, on: dt.date, within_days: int = EXPIRY_WARNING_DAYS
) -> QuerySet[ProviderDocument]:
    """The practice's documents to renew: lapsing within ``within_days`` of ``on``, or lapsed."""
    rows = ProviderDocument.objects.filter(practice_id=practice_id).select_related("provider")
    return lapsing(rows, on, within_days)


def days_to_expiry(document: ProviderDocument, on: dt.date) -> int | None:
    """Days until the document lapses (negative once it has), or None when it does not
    lapse within the warning window."""
    if document.expires_on is None:
        return None
    days = (document.expires_on - on).days
    return days if days <= EXPIRY_WARNING_DAYS else None
