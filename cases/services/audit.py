"""The access log: who read patient data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseAttachment,
    Client,
    Consent,
    Document,
    ProviderDocument,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def access_record(
    *,
    user: User,
    action: str,
    obj: Client | Case | Document | Consent | CaseAttachment | ProviderDocument,
) -> AccessLog:
    """Append one access. ``obj`` is the client, case, document, consent or attachment that
    was read, or a provider's or practice's document (no client)."""
    if isinstance(obj, Client):
        client_id, case_id, practice_id = obj.pk, None, obj.practice_id
    elif isinstance(obj, Case):
        client_id, case_id, practice_id = obj.client_id, obj.pk, obj.practice_id
    elif isinstance(obj, Document | Consent | CaseAttachment):
        case = obj.case
        client_id, case_id, practice_id = case.client_id, case.pk, case.practice_id
    elif isinstance(obj, ProviderDocument):
        client_id, case_id, practice_id = None, None, obj.practice_id
    else:
        raise TypeError(f"no access logging for {type(obj).__name__}")
    return AccessLog.objects.create(
        user=user,
        practice_id=practice_id,
        client_id=client_id,
        case_id=case_id,
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        action=AccessAction(action),
    )


def access_record_export(*, user: User, practice_id: int) -> AccessLog:
    """The case list exported as CSV: a bulk read of the practice's patient data."""
    return AccessLog.objects.create(
        user=user,
        practice_id=practice_id,
        client=None,
        case=None,
        object_type="case_export",
        object_id=0,
        action=AccessAction.EXPORT_CASES,
    )
