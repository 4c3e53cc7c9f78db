"""The desk's contact step: log a call, fax or message with the insurer."""

from __future__ import annotations

from django.utils import timezone

from ..forms.contacts import ContactForm
from ..selectors.contacts import contacts_for
from ..services.contacts import contact_log
from .common import DeskView, form_or_refuse


def contact_log_context(case) -> dict:
    """The contact log's part of the negotiation panel (templates/negotiations/contact_log.html)."""
    return {
        "contact_form": ContactForm(prefix="contact"),
        "contacts": list(contacts_for(case).order_by("-at", "-id")[:50]),
    }


class DeskContactView(DeskView):
    step = "contact"

    def act(self, request, case):
        data = form_or_refuse(ContactForm(request.POST, prefix="contact"))
        contact_log(case_id=case.pk, actor=request.user, at=timezone.now(), **data)
        return "Contact logged."
