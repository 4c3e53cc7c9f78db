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

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        line = self.fields["line"]
        assert isinstance(line, forms.ChoiceField)  # declared above
        line.choices = [(ln.pk, code_label(ln.billing_code.code, ln.modifier)) for ln in lines]
