"""Forms of what a case is made of: a requested service, an in-network search, a consent."""

from __future__ import annotations

from django import forms

from billing_codes.models import BillingCode
from cases.models import Consent, NetworkSearch, RequestedService
from cases.services.parts import SEARCH_FIELDS, SERVICE_FIELDS

from .common import DATE, model_choice


class BillingCodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: BillingCode) -> str:
        return f"{obj.code} · {obj.short_description}"


class ServiceForm(forms.ModelForm):
    class Meta:
        model = RequestedService
        fields = SERVICE_FIELDS
        labels = {
            "requested_rate": "Requested rate per unit ($)",
            "units_remaining": "Left on the prior authorization",
        }
        help_texts = {
            "units_remaining": "Care under way: the units of this code the prior authorization "
            "has left, in total (units per week or month count over the requested period "
            "against it). Leave empty for new treatment.",
        }
        field_classes = {"billing_code": BillingCodeChoiceField}

    def __init__(self, *args, aba_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        billing_code = model_choice(self, "billing_code")
        codes = BillingCode.objects.filter(is_active=True).order_by("code")
        if aba_only:
            codes = codes.filter(is_aba=True)
        billing_code.queryset = codes
        self.fields["requested_rate"].required = False
        self.fields[
            "requested_rate"
        ].help_text = (
            "Left blank, the practice's usual rate for the code is used when there is one."
        )


class NetworkSearchForm(forms.ModelForm):
    class Meta:
        model = NetworkSearch
        fields = SEARCH_FIELDS
        widgets = {"contacted_on": DATE, "notes": forms.TextInput()}
        labels = {"contacted_on": "Contacted on", "wait_weeks": "Wait (weeks)"}


class ConsentForm(forms.ModelForm):
    file = forms.FileField(
        label="Signed consent (PDF, PNG or JPEG)", required=False,
        help_text="The scan of the signed form, at most 10 MB.",
    )  # fmt: skip

    class Meta:
        model = Consent
        # CONSENT_FIELDS, in the order the page asks for them.
        fields = [
            "signer_name", "signer_relationship", "signed_on", "method", "estimated_patient_cost",
            "acknowledges_costs",
        ]  # fmt: skip
        widgets = {"signed_on": DATE}
        labels = {
            "signer_relationship": "Relationship to the client",
            "acknowledges_costs": "The signer acknowledges the SCA is no guarantee of payment "
            "and costs may apply",
        }
