"""The submission packet: what goes into it, in which order, what its cover sheet and its page
footers say, and whether a packet already built is still current.

Order (DESIGN.md, documents): the fax cover sheet; the letters (for a denied or appealed case
the appeal letter first, before the request letter it answers); the consent form when the
policy requires consent or the practice initiated the request; the case's current
attachments (``ATTACHMENT_ORDER``, then upload order); the provider documents the policy
names (``PROVIDER_DOCUMENT_ORDER``).

Nothing here renders: ``cases.services.documents`` renders the plan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils import timezone

from cases.models import (
    PROVIDER_DOCUMENT_ORDER,
    Case,
    CaseAttachment,
    CaseStatus,
    Client,
    Document,
    DocumentKind,
    DocumentStatus,
    Insurer,
    Practice,
    Provider,
    ProviderDocument,
    RatePolicy,
)

from .attachments import attachments_of
from .documents import Context, consent_enclosed, document_available
from .readiness import case_readiness
from .readiness_documents import pick_provider_document, provider_documents_for
from .readiness_rules import Check
from .reference import case_contact, case_policy

# Bump when the packet's make-up changes, so that packets built the old way are out of date
# (2: a denied or appealed case's packet opens with the appeal letter).
PACKET_FORMAT = 2


@dataclass(frozen=True)
class PacketPart:
    """One part of the packet: ``kind`` is the document kind of a generated part, else the
    attachment's or provider document's kind; ``source`` is the stored file, if any."""

    label: str
    kind: str
    source: CaseAttachment | ProviderDocument | None = None

    @property
    def named(self) -> str:
        """The part in an error message: its kind and id, never its title (it may hold
        patient data)."""
        if self.source is None:
            return self.label
        what = "attachment" if isinstance(self.source, CaseAttachment) else "provider document"
        return f"{self.label} ({what} {self.source.pk})"


@dataclass(frozen=True)
class PacketPlan:
    case: Case
    policy: RatePolicy | None
    parts: list[PacketPart]
    missing: list[str]  # a draft's checklist: what the packet still lacks (empty otherwise)
    digest: str


def _readiness_day(case: Case) -> dt.date:
    """A packet re-sent after submission is judged as of the day the case was submitted (a
    planned start that has since passed is no reason to refuse it); a draft, as of today."""
    if case.submitted_at is not None:
        return timezone.localdate(case.submitted_at)
    return timezone.localdate()


def packet_refusals(case: Case) -> list[Check]:
    """Why a packet cannot be built: for a case past draft, every failing readiness error (a
    packet is refused like a submission is); a draft's packet lists what is missing instead."""
    if case.status == CaseStatus.DRAFT:
        return []
    return case_readiness(case, on=_readiness_day(case)).failing_errors


def _letters(case: Case) -> list[str]:
    """The letters of the packet: a denied or appealed case's appeal letter leads (its own
    check says when: an appealable denial), then the request letter it answers."""
    letters: list[str] = []
    if document_available(case, DocumentKind.APPEAL_LETTER):
        letters.append(DocumentKind.APPEAL_LETTER)
    letters.append(DocumentKind.REQUEST_LETTER)
    return letters


def packet_provider_documents(case: Case, kinds: Iterable[str]) -> list[ProviderDocument]:
    """Per kind the policy names, in ``PROVIDER_DOCUMENT_ORDER``, the document readiness judges
    (``pick_provider_document``: the provider's own before the practice's, the one valid
    longest); a kind with none on file is left out (readiness names it)."""
    wanted = sorted(set(kinds), key=lambda k: PROVIDER_DOCUMENT_ORDER.get(k, 99))
    if not wanted:
        return []
    candidates = provider_documents_for([case], wanted)
    picked = (pick_provider_document(candidates, kind, case) for kind in wanted)
    return [d for d in picked if d is not None]


def _rows(queryset: QuerySet[Model]) -> list[tuple[object, ...]]:
    return list(queryset.order_by("pk").values_list())


def packet_digest(
    case: Case,
    policy: RatePolicy | None,
    attachments: list[CaseAttachment],
    documents: list[ProviderDocument],
) -> str:
    """What the packet is built from, hashed: the case (its version), what its letters and
    forms print (requested services, in-network searches, consents, appeals, client, provider,
    practice, insurer and contact, the policy) and the files enclosed (ids and sha256). The
    case's parts (services, searches, consents) do not raise its version, so they are read
    as they are."""
    contact = dataclasses.asdict(case_contact(case))
    contact["own"] = sorted(contact["own"])
    material = {
        "format": PACKET_FORMAT,
        "case": [case.pk, case.version, case.status],
        "services": _rows(case.services.all()),
        "searches": _rows(case.network_searches.all()),
        "consents": _rows(case.consents.all()),
        "appeals": _rows(case.appeals.all()),  # the level the appeal letter names
        "client": _rows(Client.objects.filter(pk=case.client_id)),
        "provider": _rows(Provider.objects.filter(pk=case.provider_id))
        if case.provider_id
        else None,
        "practice": _rows(Practice.objects.filter(pk=case.practice_id)),
        "insurer": _rows(Insurer.objects.filter(pk=case.insurer_id)),
        "contact": contact,
        "policy": _rows(RatePolicy.objects.filter(pk=policy.pk)) if policy else None,
        "attachments": [(a.pk, a.sha256) for a in attachments],
        "provider_documents": [(d.pk, d.sha256) for d in documents],
    }
    encoded = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def _missing(case: Case, policy: RatePolicy | None, documents: list[ProviderDocument]) -> list[str]:
    """A draft's checklist: what every failing readiness error says (attachments and provider
    documents the policy requires among them). A detail that would print a diagnosis code is
    left out: the cover sheet never carries one."""
    codes = [str(c) for c in (case.client.diagnosis_codes or [])]
    failing = case_readiness(
        case, on=timezone.localdate(), policy=policy, provider_documents=documents
    ).failing_errors
    return [c.detail for c in failing if not any(code in c.detail for code in codes)]


def packet_plan(case: Case, *, checklist: bool = True) -> PacketPlan:
    """What the packet of ``case`` holds now, in order, with its digest; a draft's checklist
    too unless ``checklist`` is false (the digest alone does not need readiness)."""
    case = Case.objects.select_related(
        "practice", "client", "provider", "insurer", "assigned_to"
    ).get(pk=case.pk)
    day = _readiness_day(case)
    policy = case_policy(case, on=day)
    attachments = list(attachments_of(case))
    documents = packet_provider_documents(
        case, policy.required_provider_documents if policy else []
    )
    labels = dict(DocumentKind.choices)
    parts = [PacketPart(label=labels.get(k, k), kind=k) for k in _letters(case)]
    if consent_enclosed(case, policy):
        parts.append(PacketPart(label=labels[DocumentKind.CONSENT_FORM], kind="consent_form"))
    parts += [PacketPart(a.get_kind_display(), a.kind, a) for a in attachments]
    parts += [PacketPart(d.get_kind_display(), d.kind, d) for d in documents]
    is_draft = case.status == CaseStatus.DRAFT
    missing = _missing(case, policy, documents) if checklist and is_draft else []
    return PacketPlan(
        case=case,
        policy=policy,
        parts=parts,
        missing=missing,
        digest=packet_digest(case, policy, attachments, documents),
    )


def packet_is_current(document: Document) -> bool:
    """A packet is current while its parts are those it was built from."""
    if document.kind != DocumentKind.SUBMISSION_PACKET:
        return True
    return document.parts_sha256 == packet_plan(document.case, checklist=False).digest


def documents_listed(case: Case) -> list[Document]:
    """The case's documents for its workspace list, each ready packet marked ``out_of_date``
    when its parts changed since it was built (the plan is read once, and only then)."""
    documents = list(case.documents.order_by("kind", "-created_at"))
    packets = [
        d
        for d in documents
        if d.kind == DocumentKind.SUBMISSION_PACKET and d.status == DocumentStatus.READY
    ]
    digest = packet_plan(case, checklist=False).digest if packets else ""
    for document in packets:
        setattr(document, "out_of_date", document.parts_sha256 != digest)  # noqa: B010
    return documents


def packet_footer(case: Case) -> str:
    """The left half of every page's footer: the case reference, the member's name and id."""
    client = case.client
    member = f" · Member ID {client.member_id}" if client.member_id else ""
    return f"SCA-{case.pk} · {client.first_name} {client.last_name}{member}"


def cover_sheet_context(
    plan: PacketPlan, *, pages: list[int], cover_pages: int, total_pages: int
) -> Context:
    """The fax cover sheet: to the practice's contact for the insurer, from the practice (its
    phone as the callback number), the date, the total pages, the parts with their pages, a
    draft's checklist, and the confidentiality notice. Never a diagnosis: a cover sheet is
    read by whoever stands at the fax machine."""
    case = plan.case
    return {
        "practice": case.practice,
        "insurer": case.insurer,
        "contact": case_contact(case),
        "reference": f"SCA-{case.pk}",
        "insurer_reference": case.insurer_reference,
        "sender": case.assigned_to.get_full_name() if case.assigned_to else "",
        "today": timezone.localdate(),
        "total_pages": total_pages,
        "cover_pages": cover_pages,
        "parts": list(zip((p.label for p in plan.parts), pages, strict=True)),
        "is_draft": case.status == CaseStatus.DRAFT,
        "missing": plan.missing,
    }
