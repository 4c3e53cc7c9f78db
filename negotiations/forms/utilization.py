"""The desk's form to record use."""

from __future__ import annotations

from django import forms

from billing_codes.models import code_label

from ..services.utilization import UTILIZATION_UNITS_MAX, UTILIZATION_UNITS_MIN
from .common import DATE


class UtilizationForm(forms.Form):
    service_date = forms.DateField(label="Service date", widget=DATE)
    line = forms.ChoiceField(label="Code")
    units = forms.IntegerField(
        label="Units", min_value=UTILIZATION_UNITS_MIN, max_value=UTILIZATION_UNITS_MAX
    )

    # Shown only after a refusal past the authorized units (``confirm=True``): ticking it
    # records the units anyway (services.utilization.utilization_record).
    confirm_over_authorized = forms.BooleanField(
        label="Record them anyway: the sessions took place, and the insurer will be asked",
        required=False,
    )

    def __init__(self, *args, lines=(), confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not confirm:
            del self.fields["confirm_over_authorized"]
        line = self.fields["line"]
        assert isinstance(line, forms.ChoiceField)  # declared above
        line.choices = [(ln.pk, code_label(ln.billing_code.code, ln.modifier)) for ln in lines]
