"""The desk's utilization step: record the units used on a service date."""

from __future__ import annotations

from ..forms.utilization import UtilizationForm
from ..services.utilization import utilization_record
from .common import DeskView, form_or_refuse


class DeskUtilizationView(DeskView):
    step = "utilization"

    def act(self, request, case):
        agreement = getattr(case, "agreement", None)
        lines = list(agreement.lines.select_related("billing_code")) if agreement else []
        data = form_or_refuse(UtilizationForm(request.POST, prefix="use", lines=lines))
        line = next(ln for ln in lines if str(ln.pk) == data["line"])
        entry = utilization_record(
            case_id=case.pk, actor=request.user, service_date=data["service_date"],
            billing_code=line.billing_code, modifier=line.modifier, units=data["units"],
        )  # fmt: skip
        if entry.over_authorized:
            return "Recorded, but past the authorized units: ask the insurer before more sessions."
        return "Use recorded."
