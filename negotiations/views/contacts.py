"""The desk's contact step: log a call, fax or message with the insurer."""

from __future__ import annotations

from django.utils import timezone

from ..forms.contacts import ContactForm
from ..services.contacts import contact_log
from .common import DeskView, form_or_refuse


class DeskContactView(DeskView):
    step = "contact"

    def act(self, request, case):
        data = form_or_refuse(ContactForm(request.POST, prefix="contact"))
        contact_log(case_id=case.pk, actor=request.user, at=timezone.now(), **data)
        return "Contact logged."
