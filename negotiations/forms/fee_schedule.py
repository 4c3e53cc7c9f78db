"""The practice fee schedule's form. It shapes input; the service writes."""

from __future__ import annotations

from django import forms

from billing_codes.models import BillingCode

from ..models.fee_schedule import PracticeRate
from ..services.fee_schedule import PRACTICE_RATE_FIELDS
from .common import money_field

_NEGATIVE = {"min_value": "A rate cannot be negative."}


class PracticeRateForm(forms.ModelForm):
    """A row of the practice's fee schedule. The rates take their bounds from the model fields
    (money_field), as the API's PracticeRateSerializer does."""

    usual_rate = money_field(
        PracticeRate._meta.get_field("usual_rate"),
        label="Usual rate ($ per unit)",
        error_messages=_NEGATIVE,
    )
    floor_rate = money_field(
        PracticeRate._meta.get_field("floor_rate"),
        label="Floor rate ($ per unit)",
        help_text="The lowest rate the practice accepts; empty for none.",
        error_messages=_NEGATIVE,
    )

    class Meta:
        model = PracticeRate
        fields = PRACTICE_RATE_FIELDS
        labels = {"billing_code": "Billing code"}
        help_texts = {"modifier": "Two characters, e.g. HN; empty for none."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = BillingCode.objects.filter(is_active=True)
        if self.instance.pk:
            # An archived code stays selectable on the row that already uses it.
            codes = BillingCode.objects.filter(is_active=True) | BillingCode.objects.filter(
                pk=self.instance.billing_code_id
            )
        billing_code = self.fields["billing_code"]
        assert isinstance(billing_code, forms.ModelChoiceField)  # the model's ForeignKey
        billing_code.queryset = codes.order_by("code")

    def clean_modifier(self) -> str:
        return (self.cleaned_data.get("modifier") or "").strip().upper()
