"""Browser forms of the negotiations app. They shape input; the services write."""

from __future__ import annotations

from django import forms

from billing_codes.models import BillingCode

from .models import PracticeRate


class PracticeRateForm(forms.ModelForm):
    """A row of the practice's fee schedule."""

    class Meta:
        model = PracticeRate
        fields = ["billing_code", "modifier", "usual_rate", "floor_rate"]
        labels = {
            "billing_code": "Billing code",
            "usual_rate": "Usual rate ($ per unit)",
            "floor_rate": "Floor rate ($ per unit)",
        }
        help_texts = {
            "modifier": "Two characters, e.g. HN; empty for none.",
            "floor_rate": "The lowest rate the practice accepts; empty for none.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = BillingCode.objects.filter(is_active=True)
        if self.instance.pk:
            # An archived code stays selectable on the row that already uses it.
            codes = BillingCode.objects.filter(is_active=True) | BillingCode.objects.filter(
                pk=self.instance.billing_code_id
            )
        self.fields["billing_code"].queryset = codes.order_by("code")
        self.fields["usual_rate"].min_value = 0
        for name in ("usual_rate", "floor_rate"):
            self.fields[name].widget.attrs["min"] = "0"
            self.fields[name].validators.append(_not_negative)

    def clean_modifier(self) -> str:
        return (self.cleaned_data.get("modifier") or "").strip().upper()


def _not_negative(value) -> None:
    if value is not None and value < 0:
        raise forms.ValidationError("A rate cannot be negative.")
