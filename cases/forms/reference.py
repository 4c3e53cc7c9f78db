"""Forms for what a practice keeps about an insurer: its rate policies, a policy's rate rows,
the change of a policy in force, and its own SCA contact.

The forms only shape and check input; the services in ``cases.services.reference`` write.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms

from billing_codes.models import BillingCode
from cases.models import AttachmentKind, InsurerContact, ProviderDocumentKind, RatePolicy
from cases.services.reference import (
    CONTACT_FIELDS,
    COPIED_FIELDS,
    POLICY_FIELDS,
    REASON_MAX_LENGTH,
    REVISED_FIELDS,
)

RATE_ERROR_KEY = re.compile(r"^rates\[(\d+)\]\.(\w+)$")
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class RatePolicyForm(forms.ModelForm):
    # The model keeps kinds as a JSON list; the page ticks them (the model validates the list).
    required_attachments = forms.MultipleChoiceField(
        label="Attachments every request encloses", required=False,
        choices=AttachmentKind.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked kind must be attached to a case before it is submitted.",
    )  # fmt: skip
    required_provider_documents = forms.MultipleChoiceField(
        label="Provider or practice documents every packet encloses", required=False,
        choices=ProviderDocumentKind.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked kind must be on file, current, for the treating provider or "
        "the practice.",
    )  # fmt: skip

    class Meta:
        model = RatePolicy
        fields = POLICY_FIELDS
        widgets = {
            "effective_from": DATE_WIDGET,
            "effective_to": DATE_WIDGET,
            "protocol_notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "kind": "How the insurer pays",
            "percent": "Percent of the reference schedule",
            "min_network_attempts": "In-network attempts required",
            "requires_consent": "Client consent always required",
            "requires_pre_treatment": "New treatment must be requested before it starts",
            "retro_days": "New treatment: days back the agreement may start",
            "continuity_days": "Care under way: days back the agreement may start",
            "appeal_days": "Days to file the first appeal",
            "renewal_requires_searches": "A renewal documents a fresh in-network search",
            "max_agreement_days": "Longest agreement (days)",
            "expected_response_days": "Expected response (days)",
            "submission_channel": "Submit requests by",
            "confirmed_with": "Confirmed with (name at the insurer)",
            "confirmed_on": "Confirmed on",
            "reference": "Call reference or document",
        }

    # The groups the page shows as fieldsets.
    PAYMENT_FIELDS = [
        "line_of_business", "effective_from", "effective_to", "kind", "percent",
        "reference_schedule",
    ]  # fmt: skip
    SOURCE_FIELDS = ["confirmed_with", "confirmed_on", "reference"]

    def __init__(self, *args, revising: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_on"].widget = DATE_WIDGET
        if revising:
            # A change from a date on keeps the line of business; the period comes from the
            # revision form (the old period closes, the new one runs to where it ended).
            for name in set(self.fields) - set(REVISED_FIELDS):
                del self.fields[name]

    def _group(self, names):
        return [self[name] for name in names if name in self.fields]

    def payment_fields(self):
        return self._group(self.PAYMENT_FIELDS)

    def protocol_fields(self):
        skip = set(self.PAYMENT_FIELDS) | set(self.SOURCE_FIELDS)
        return self._group([name for name in self.Meta.fields if name not in skip])

    def source_fields(self):
        return self._group(self.SOURCE_FIELDS)


def policy_fields_initial(policy: RatePolicy) -> dict:
    """What a new policy copies from the one in force: its protocol and payment terms."""
    return {name: getattr(policy, name) for name in COPIED_FIELDS}


class PolicyRevisionForm(forms.Form):
    """When the change to the policy in force takes effect, and why."""

    effective_from = forms.DateField(
        label="The change takes effect on",
        widget=DATE_WIDGET,
        help_text="The current terms end the day before; cases already submitted keep them.",
    )
    reason = forms.CharField(
        label="Reason for the change",
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(),
        help_text="For example: new rates confirmed by the provider relations representative.",
    )

    # When the change may take effect is the service's rule (rate_policy_revise); its refusal
    # lands on this form's date field.


class InsurerContactForm(forms.ModelForm):
    portal_url = forms.URLField(label="Portal URL", required=False, assume_scheme="https")

    class Meta:
        model = InsurerContact
        fields = CONTACT_FIELDS
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"department": "For example: Single Case Agreement Unit, Optum."}


def _rate_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
    )


class PolicyRateForm(forms.Form):
    """One row of a policy's rates table. The billing code is typed (with a datalist of the
    catalog) and resolved for the whole formset in one query."""

    code = forms.CharField(
        label="Code",
        max_length=5,
        widget=forms.TextInput(attrs={"list": "billing-code-options", "autocomplete": "off"}),
    )
    modifier = forms.CharField(label="Modifier", max_length=2, required=False)
    highest_network_rate = _rate_field("Highest network rate")
    reference_rate = _rate_field("Reference rate")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

    def clean_modifier(self) -> str:
        return (self.cleaned_data.get("modifier") or "").strip().upper()


class BasePolicyRateFormSet(forms.BaseFormSet):
    if TYPE_CHECKING:  # Django's, missing from django-stubs

        def _should_delete_form(self, form: forms.Form) -> bool: ...

    def clean(self) -> None:
        if any(self.errors):
            return
        rows = self.kept_forms()
        codes = {f.cleaned_data["code"] for f in rows}
        catalog = {c.code: c for c in BillingCode.objects.filter(code__in=codes)}
        seen: dict[tuple[str, str], int] = {}
        for number, form in self.numbered_rows():
            code = form.cleaned_data["code"]
            billing_code = catalog.get(code)
            if billing_code is None:
                form.add_error("code", f"'{code}' is not in the billing code catalog.")
                continue
            form.cleaned_data["billing_code"] = billing_code
            key = (code, form.cleaned_data["modifier"])
            if key in seen:
                label = f"{code}-{key[1]}" if key[1] else code
                form.add_error(
                    "code", f"{label} is already in row {seen[key]}; keep one row per code."
                )
            else:
                seen[key] = number

    def numbered_rows(self):
        """(row number as the page shows it, form) for the rows to keep."""
        return [
            (i + 1, f)
            for i, f in enumerate(self.forms)
            if f.has_changed() or i < self.initial_form_count()
            if not (self.can_delete and self._should_delete_form(f))
        ]

    def kept_forms(self):
        return [f for _, f in self.numbered_rows()]

    def add_rate_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """A policy service's ``rates[i].field`` errors go on the row they name; the others
        come back."""
        rows = self.kept_forms()
        rest = {}
        for name, messages in errors.items():
            match = RATE_ERROR_KEY.match(name)
            index = int(match.group(1)) if match else -1
            if match and index < len(rows):
                field = match.group(2)
                field = "code" if field == "billing_code" else field
                for message in messages:
                    rows[index].add_error(field if field in rows[index].fields else None, message)
            else:
                rest[name] = messages
        return rest

    def rates(self) -> list[dict]:
        """The rows as ``rate_policy_create/update`` take them."""
        return [
            {
                "billing_code": f.cleaned_data["billing_code"],
                "modifier": f.cleaned_data["modifier"],
                "highest_network_rate": f.cleaned_data["highest_network_rate"],
                "reference_rate": f.cleaned_data["reference_rate"],
            }
            for f in self.kept_forms()
        ]


def policy_rate_formset(*, extra: int):
    return forms.formset_factory(
        PolicyRateForm,
        formset=BasePolicyRateFormSet,
        extra=extra,
        can_delete=True,
        max_num=300,
        validate_max=True,
    )


def rate_initial(policy: RatePolicy) -> list[dict]:
    return [
        {
            "code": r.billing_code.code,
            "modifier": r.modifier,
            "highest_network_rate": r.highest_network_rate,
            "reference_rate": r.reference_rate,
        }
        for r in policy.rates.select_related("billing_code")
    ]
