"""Forms for the clients and providers pages, the client CSV import, and the guided request's
client step. The services do the
writing and have the last word on validation; these only shape the input."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q

from cases.models import Client, Insurer, LineOfBusiness, Provider
from cases.services.people import CLIENT_FIELDS, MAX_BYTES, PROVIDER_FIELDS
from cases.validators import MAX_DIAGNOSIS_CODES

from .common import DATE, Select, model_choice

# What the pages edit: the services' fields but the archive flag (its own button).
CLIENT_FORM_FIELDS = [name for name in CLIENT_FIELDS if name != "is_active"]
PROVIDER_FORM_FIELDS = [name for name in PROVIDER_FIELDS if name != "is_active"]


class DiagnosisCodesField(forms.CharField):
    """ICD-10-CM codes typed as "F84.0, F88"; stored as a list. The count and each code's
    format are the model field's rules (cases.validators), as in the API."""

    max_items = MAX_DIAGNOSIS_CODES

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [c.upper() for c in re.split(r"[;,\s]+", text or "") if c]


def confirm_duplicate_field() -> forms.BooleanField:
    """The answer to 409 ``duplicate_client``: "Create anyway" posts it (a submit button named
    ``confirm_duplicate``, or a ticked box). Not a client field: ``client_create`` takes it
    apart from the data (a form's cleaned data may pass it on through ``as_data``)."""
    return forms.BooleanField(
        label="Create anyway: this is another person", required=False, initial=False
    )


class ClientForm(forms.ModelForm):
    diagnosis_codes = DiagnosisCodesField(
        label="Diagnosis codes",
        required=False,
        help_text="ICD-10-CM codes separated by commas, e.g. F84.0, F88.",
    )
    confirm_duplicate = confirm_duplicate_field()

    class Meta:
        model = Client
        fields = [*CLIENT_FORM_FIELDS, "is_active"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "state": forms.TextInput(attrs={"size": 2, "autocomplete": "off"}),
        }
        labels = {"is_active": "Active (untick to archive)"}
        help_texts = {"member_id": "Required when an insurer is chosen."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        insurer_id = self.instance.insurer_id if self.instance.pk else None
        # Active insurers, plus the client's own even if it has since been archived.
        insurer = model_choice(self, "insurer")
        insurer.queryset = Insurer.objects.filter(Q(is_active=True) | Q(pk=insurer_id)).order_by(
            "name"
        )
        insurer.empty_label = "(none yet)"
        # Most clients are on a commercial plan; a form that leaves it out keeps that.
        self.fields["line_of_business"].required = False
        if not self.instance.pk:
            del self.fields["is_active"]
        else:  # a duplicate is a question for a create only
            del self.fields["confirm_duplicate"]

    def clean_line_of_business(self) -> str:
        return self.cleaned_data.get("line_of_business") or (
            self.instance.line_of_business or LineOfBusiness.COMMERCIAL
        )

    def service_data(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self.fields if name != "confirm_duplicate"
        }


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = [*PROVIDER_FORM_FIELDS, "is_active"]
        labels = {"is_active": "Active (untick to archive)"}
        help_texts = {
            "npi": "10 digits; the last one is a check digit.",
            "taxonomy_code": "e.g. 103K00000X for a behavior analyst.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["is_active"]

    def clean_line_of_business(self) -> str:
        return self.cleaned_data.get("line_of_business") or (
            self.instance.line_of_business or LineOfBusiness.COMMERCIAL
        )

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class PeopleSearchForm(forms.Form):
    """The list filters. Posted, never in the query string: a client's name is PHI."""

    q = forms.CharField(label="Name or member id", required=False, max_length=100)
    archived = forms.BooleanField(label="Include archived", required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV, at most {MAX_BYTES // (1024 * 1024)} MB and 5,000 clients.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into "
                "smaller files."
            )
        return upload


class ClientImportConfirmForm(forms.Form):
    """Step 2: the previewed CSV posted back with a signed digest of exactly that text."""

    csv_text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=MAX_BYTES)
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)


# ------------------------------------------------------------------- the guided request


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Client) -> str:
        return f"{obj.last_name}, {obj.first_name} · {obj.member_id}"


class ClientPickForm(forms.Form):
    # Thousands of clients in a large practice: Django's chunked reading, our quick options.
    client = ClientChoiceField(
        widget=Select,
        label="Existing client", required=False, queryset=Client.objects.none(),
        empty_label="Choose a client",
    )  # fmt: skip

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "client").queryset = (
            Client.objects.filter(practice_id=practice_id, is_active=True)
            .select_related("insurer")
            .order_by("last_name", "first_name")
        )


class NewClientForm(forms.ModelForm):
    diagnosis_codes = forms.CharField(
        label="Diagnosis codes (ICD-10-CM)", required=False, max_length=200,
        help_text="Separated by commas, e.g. F84.0",
    )  # fmt: skip
    # In cleaned_data; ``client_create`` takes it out of the data ``as_data`` passes on.
    confirm_duplicate = confirm_duplicate_field()

    class Meta:
        model = Client
        fields = [
            "first_name", "last_name", "date_of_birth", "insurer", "member_id",
            "group_number", "guardian_name", "guardian_relationship", "phone", "email",
        ]  # fmt: skip
        widgets = {"date_of_birth": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "insurer").queryset = Insurer.objects.filter(is_active=True).order_by(
            "name"
        )
        self.fields["insurer"].required = True
        self.fields["member_id"].required = True

    def clean_diagnosis_codes(self) -> list[str]:
        raw = self.cleaned_data.get("diagnosis_codes") or ""
        return [code.strip().upper() for code in raw.split(",") if code.strip()]

    def _post_clean(self):
        # Model validation is the service's job (client_create); the form only shapes input.
        pass
