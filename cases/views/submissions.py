"""The workspace's sendings panel: every sending of the case, and the form for a re-send (which
``views.case.SubmissionCreateView`` records, refusing through the workspace it belongs to)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cases.forms.submissions import SubmissionForm
from cases.permissions import can
from cases.selectors.submissions import default_channel, insurer_addresses, sendable
from cases.services.submissions import RESEND_STATUSES

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cases.models import Case, Document

PANEL_TEMPLATE = "cases/submission_panel.html"


def submission_panel(
    request: HttpRequest,
    case: Case,
    *,
    documents: list[Document],
    form: SubmissionForm | None = None,
) -> dict[str, Any] | None:
    """The panel's context for a case past the draft: its sendings (prefetched by the
    workspace's selector, else one query) and, for who may submit while the case is open, the
    re-send form; ``form`` is one that comes back refused, with what was typed."""
    if case.is_draft and form is None:
        return None
    may_record = case.status in RESEND_STATUSES and can(request.user, case.practice_id, "submit")
    addresses: list[str] = []
    if may_record:
        known = insurer_addresses(case)  # the practice's contact, else the directory's
        addresses = sorted({address for address in known.values() if address})
        if form is None:
            policy = case.rate_policy
            channel = default_channel(policy.submission_channel if policy else "", known)
            form = SubmissionForm(
                initial={"channel": channel, "sent_to": known[channel]},
                documents=sendable(documents),
            )
    return {
        "case": case,
        "submissions": list(case.submissions.all()),
        # A refused form comes back even when the case has just closed (its error says so).
        "form": form,
        "addresses": addresses,
    }
