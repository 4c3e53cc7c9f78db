"""The readiness rules about what a packet encloses besides the letters: the attachments
(``attachment_missing``) and the provider or practice documents (``provider_document_*``) the
insurer's policy names, and how they (and, for a renewal, the case it renews) are loaded for
one case or many in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from cases.models import (
    AttachmentKind,
    Case,
    ProviderDocument,
    ProviderDocumentKind,
    RatePolicy,
)

from .readiness_rules import Check, error, warning

# A provider document this close to its expiry date is flagged before it lapses in a packet.
EXPIRY_WARNING_DAYS = 30


def current_attachment_kinds(case: Case) -> set[str]:
    """The kinds of the case's attachments that are not archived (prefetched ones are read
    as they are: ``prefetch_for_readiness``)."""
    if "attachments" in getattr(case, "_prefetched_objects_cache", {}):
        return {a.kind for a in case.attachments.all() if a.archived_at is None}
    return set(case.attachments.filter(archived_at__isnull=True).values_list("kind", flat=True))


def provider_documents_for(cases: Sequence[Case], kinds: Iterable[str]) -> list[ProviderDocument]:
    """The current documents of ``kinds`` the cases' packets may enclose: their providers' own
    and their practices' (no provider), in one query."""
    providers = {c.provider_id for c in cases if c.provider_id}
    return list(
        ProviderDocument.objects.filter(
            practice_id__in={c.practice_id for c in cases},
            kind__in=set(kinds),
            archived_at__isnull=True,
        ).filter(Q(provider__isnull=True) | Q(provider_id__in=providers))
    )


def prefetch_for_readiness(
    cases: Sequence[Case], policies: Mapping[int, RatePolicy | None]
) -> list[ProviderDocument]:
    """What the attachment, provider-document and renewal rules read for many cases
    (``policies`` by case id): the attachments and renewed cases prefetched, the provider
    documents returned; at most three queries, none when no policy names an attachment or a
    document and no case is a renewal."""
    with_attachments = [
        c
        for c in cases
        if c.renewal_of_id or ((p := policies.get(c.pk)) and p.required_attachments)
    ]
    if with_attachments:
        prefetch_related_objects(with_attachments, "attachments")
    renewals = [c for c in cases if needs_renewed_case(c, policies.get(c.pk))]
    if renewals:
        prefetch_related_objects(renewals, "renewal_of")
    kinds = {
        kind
        for c in cases
        if (p := policies.get(c.pk)) is not None
        for kind in p.required_provider_documents
    }
    return provider_documents_for(cases, kinds) if kinds else []


def needs_renewed_case(case: Case, policy: RatePolicy | None) -> bool:
    """A renewal whose policy wants a fresh search reads when the renewed case went out."""
    return case.renewal_of_id is not None and bool(policy and policy.renewal_requires_searches)


def renewed_submission_day(case: Case, policy: RatePolicy | None) -> dt.date | None:
    """The day the case this one renews was submitted (local date), when the renewal rules
    need it (one query unless prefetched); searches after it are fresh."""
    if not needs_renewed_case(case, policy):
        return None
    renewed = case.renewal_of
    submitted = renewed.submitted_at if renewed is not None else None
    return timezone.localdate(submitted) if submitted else None


def missing_attachments(required: Iterable[str], present: set[str]) -> list[str]:
    """The labels of the kinds the policy requires that no current attachment is."""
    names = dict(AttachmentKind.choices)
    return [names.get(kind, kind) for kind in required if kind not in present]


def attachment_check(required: Iterable[str], present: set[str]) -> Check:
    """``attachment_missing``: each kind the policy requires has a current attachment."""
    names = dict(AttachmentKind.choices)
    required = list(required)
    if not required:
        return error("attachment_missing", True, "Not needed: the policy requires no attachment.")
    missing = missing_attachments(required, present)
    return error(
        "attachment_missing",
        not missing,
        f"Attach the {', '.join(missing)}: the insurer's policy requires them with every request."
        if missing
        else "Every attachment the insurer's policy requires is on file: "
        + ", ".join(names.get(kind, kind) for kind in required)
        + ".",
    )


def pick_provider_document(
    documents: Iterable[ProviderDocument], kind: str, case: Case
) -> ProviderDocument | None:
    """The current document of ``kind`` a case's packet encloses: the treating provider's own
    before the practice's (no provider), and of those the one valid longest, then the newest."""
    candidates = [
        d
        for d in documents
        if d.kind == kind
        and d.archived_at is None
        and d.practice_id == case.practice_id
        and (d.provider_id is None or d.provider_id == case.provider_id)
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda d: (
            d.provider_id is not None,
            d.expires_on is None,
            d.expires_on or dt.date.min,
            d.pk,
        ),
    )


def provider_document_checks(
    required: Iterable[str], documents: Iterable[ProviderDocument], case: Case, on: dt.date
) -> list[Check]:
    """``provider_document_missing`` and ``provider_document_expired`` (errors) and
    ``provider_document_expiring`` (a warning, within 30 days of the expiry date)."""
    names = dict(ProviderDocumentKind.choices)
    required, documents = list(required), list(documents)
    if not required:
        return [
            error(
                "provider_document_missing",
                True,
                "Not needed: the policy requires no provider document.",
            )
        ]
    missing, expired, expiring = [], [], []
    for kind in required:
        document = pick_provider_document(documents, kind, case)
        name = names.get(kind, kind)
        if document is None:
            missing.append(name)
        elif document.expires_on is not None and document.expires_on < on:
            expired.append(f"{name} (expired {document.expires_on.isoformat()})")
        elif (
            document.expires_on is not None
            and (document.expires_on - on).days <= EXPIRY_WARNING_DAYS
        ):
            expiring.append(f"{name} (expires {document.expires_on.isoformat()})")
    return [
        error(
            "provider_document_missing",
            not missing,
            f"Upload the {', '.join(missing)} for the treating provider or the practice: the "
            "insurer's policy encloses them in every packet."
            if missing
            else "Every provider document the insurer's policy requires is on file.",
        ),
        error(
            "provider_document_expired",
            not expired,
            f"Expired: {', '.join(expired)}. Upload the current one."
            if expired
            else "No required provider document has expired.",
        ),
        warning(
            "provider_document_expiring",
            not expiring,
            f"Expiring within {EXPIRY_WARNING_DAYS} days: {', '.join(expiring)}. Renew it before "
            "the insurer reads the packet."
            if expiring
            else f"No required provider document expires within {EXPIRY_WARNING_DAYS} days.",
        ),
    ]
