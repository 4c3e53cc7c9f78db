"""Sendings of a case as the user may see them: the case's submissions, the documents a sending
can name (the packet first), and where each channel reaches the insurer by default."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from cases.models import (
    Case,
    Document,
    DocumentKind,
    DocumentStatus,
    Submission,
    SubmissionChannel,
)

from .reference import ContactDetails, case_contact


def submissions_for(case: Case) -> QuerySet[Submission]:
    """The case's sendings in the order they were sent, with who recorded each."""
    return case.submissions.select_related("recorded_by")


def submissions_prefetch() -> Prefetch[str, QuerySet[Submission], str]:
    """The same rows for a case loaded with its parts (the workspace: one query whatever the
    number of sendings)."""
    return Prefetch("submissions", queryset=Submission.objects.select_related("recorded_by"))


# What a sending names, best first: the packet (the letter with everything the insurer asks
# for), then the letter alone; newest first within a kind.
SEND_ORDER = [
    DocumentKind.SUBMISSION_PACKET,
    DocumentKind.REQUEST_LETTER,
    DocumentKind.CONSENT_FORM,
    DocumentKind.AGREEMENT_SUMMARY,
]


def sendable(documents: Iterable[Document]) -> list[Document]:
    """The ready ones of ``documents``, packets first (SEND_ORDER), newest first in a kind."""
    rank: dict[str, int] = {kind: n for n, kind in enumerate(SEND_ORDER)}
    ready = [d for d in documents if d.status == DocumentStatus.READY]
    ready.sort(key=lambda d: -d.created_at.timestamp())
    return sorted(ready, key=lambda d: rank.get(d.kind, len(rank)))


def sendable_documents(case: Case) -> list[Document]:
    return sendable(case.documents.filter(status=DocumentStatus.READY))


def document_sent_at_submit(case: Case) -> Document | None:
    """What the first sending carried: the latest ready letter. Never a packet: any packet was
    built on the draft, and its cover sheet says so (a packet is current for one status)."""
    found = sendable(
        case.documents.filter(status=DocumentStatus.READY, kind=DocumentKind.REQUEST_LETTER)
    )
    return found[0] if found else None


SENT_TO_MAX_LENGTH = Submission._meta.get_field("sent_to").max_length or 200


def _address(contact: ContactDetails, channel: str) -> str:
    # A mailing address is kept on several lines; a sending names it on one.
    mail = ", ".join(line.strip() for line in contact.address.splitlines() if line.strip())
    addresses: dict[str, str] = {
        SubmissionChannel.FAX: contact.fax,
        SubmissionChannel.EMAIL: contact.email,
        SubmissionChannel.PORTAL: contact.portal_url,
        SubmissionChannel.PHONE: contact.phone,
        SubmissionChannel.MAIL: mail,
    }
    return addresses.get(channel, "")[:SENT_TO_MAX_LENGTH]


def insurer_addresses(case: Case) -> dict[str, str]:
    """{channel: where it reaches the insurer} from the practice's contact for the insurer (its
    appeals contact once the case is denied), else the directory's; blank when unknown."""
    contact = case_contact(case)
    return {channel: _address(contact, channel) for channel in SubmissionChannel.values}


# The channels tried, in order, when the policy's own cannot reach the insurer: the ones an SCA
# request is usually sent by first (a fax confirmation is the proof payers accept).
CHANNEL_FALLBACK = (
    SubmissionChannel.FAX,
    SubmissionChannel.PORTAL,
    SubmissionChannel.PHONE,
    SubmissionChannel.EMAIL,
    SubmissionChannel.MAIL,
)


def default_channel(preferred: str, addresses: dict[str, str]) -> str:
    """The "Sent by" to offer: the policy's channel (``preferred``) when the insurer's contact
    has an address for it, else the first channel that has one (an insurer with no email
    address is not offered Email), else the policy's or fax. ``addresses``: {channel: address}
    (``cases.selectors.submissions.insurer_addresses``)."""
    if preferred and addresses.get(preferred):
        return preferred
    reachable = next((c.value for c in CHANNEL_FALLBACK if addresses.get(c.value)), "")
    return reachable or preferred or SubmissionChannel.FAX.value
