"""Forms of the case pages: the list filters, the guided request's steps and the workspace.
They shape input only; the services decide (DESIGN rule 2)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .models import (
    CaseStatus,
    Client,
    Consent,
    Insurer,
    NetworkSearch,
    Provider,
    Reason,
    RequestedService,
    SubmissionChannel,
)
from .models.case import InitiatedBy, ServiceType

DATE = forms.DateInput(attrs={"type": "date"})

SORTS = {
    "newest": ("Newest first", ["-created_at", "-id"]),
    "oldest": ("Oldest first", ["created_at", "id"]),
    "follow_up": ("Follow-up soonest", ["follow_up_on", "-created_at", "-id"]),
    "submitted": ("Recently submitted", ["-submitted_at", "-id"]),
    "client": ("Client A to Z", ["client__last_name", "client__first_name", "-id"]),
    "insurer": ("Insurer A to Z", ["insurer__name", "-created_at", "-id"]),
}


def _members(practice_id: int):
    return (
        get_user_model()
        .objects.filter(memberships__practice_id=practice_id)
        .order_by("first_name", "last_name", "username")
    )


def _attrs(attrs: dict) -> str:
    """Attributes as Django's attrs.html writes them: in order, True as a bare name."""
    return format_html_join(
        "", " {}{}",
        ((k, "" if v is True else format_html('="{}"', v)) for k, v in attrs.items()
         if v is not False),
    )  # fmt: skip


class Select(forms.Select):
    """Django renders every <option> through two template includes: the case list's filters
    (about 60 options) took 3.5 ms of the page. The same markup, built in Python (a test
    compares the two)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((o["value"], _attrs(o["attrs"]), o["label"]) for o in options),
            )
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
                         if group_name else html)  # fmt: skip
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            _attrs(widget["attrs"]),
            mark_safe("".join(parts)),  # noqa: S308 - each part was built by format_html
        )


class OneQueryChoiceIterator(forms.models.ModelChoiceIterator):
    """Django reads a select's choices with ``.iterator()``: on PostgreSQL a server-side
    cursor, three round trips (DECLARE, FETCH, CLOSE), 1.5 ms for four assignees. These lists
    are short (insurers, providers, members): one plain query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    """A select of a short list of rows, read in one query."""

    iterator = OneQueryChoiceIterator
    widget = Select


class UserChoiceField(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class CaseFilterForm(forms.Form):
    """The case list's filters. ``q`` (a name or member id) is only read from a POST, so
    patient data never lands in a URL."""

    q = forms.CharField(
        label="Search", required=False, max_length=100,
        help_text="Client name or member id (start of), or the insurer's reference.",
    )  # fmt: skip
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *CaseStatus.choices],
        widget=Select,
    )  # fmt: skip
    insurer = ModelChoiceField(
        label="Insurer", required=False, queryset=Insurer.objects.none(), empty_label="Any insurer"
    )
    provider = ModelChoiceField(
        label="Provider", required=False, queryset=Provider.objects.none(), empty_label="Any"
    )
    assigned_to = UserChoiceField(
        label="Assignee", required=False, queryset=None, empty_label="Anyone"
    )
    reason = forms.ChoiceField(
        label="Reason", required=False, choices=[("", "Any reason"), *Reason.choices],
        widget=Select,
    )  # fmt: skip
    sort = forms.ChoiceField(
        label="Sort", required=False, choices=[(k, v[0]) for k, v in SORTS.items()],
        widget=Select,
    )  # fmt: skip
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = Insurer.objects.filter(is_active=True).order_by("name")
        self.fields["provider"].queryset = Provider.objects.filter(
            practice_id=practice_id
        ).order_by("last_name", "first_name")
        self.fields["assigned_to"].queryset = _members(practice_id)
        self.fields["page"].widget = forms.HiddenInput()

    def apply(self, queryset, *, search_practice_ids):
        from .selectors import search_cases

        data = self.cleaned_data
        for name in ("status", "reason"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        for name in ("insurer", "provider", "assigned_to"):
            if data.get(name) is not None:
                queryset = queryset.filter(**{f"{name}_id": data[name].pk})
        if data.get("q"):
            queryset = search_cases(queryset, search_practice_ids, data["q"].split())
        return queryset.order_by(*SORTS[data.get("sort") or "newest"][1])


# ------------------------------------------------------------------- the guided request


class ClientPickForm(forms.Form):
    # Thousands of clients in a large practice: Django's chunked reading, our quick options.
    client = forms.ModelChoiceField(
        widget=Select,
        label="Existing client", required=False, queryset=Client.objects.none(),
        empty_label="Choose a client",
    )  # fmt: skip

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = (
            Client.objects.filter(practice_id=practice_id, is_active=True)
            .select_related("insurer")
            .order_by("last_name", "first_name")
        )
        self.fields["client"].label_from_instance = lambda c: (
            f"{c.last_name}, {c.first_name} · {c.member_id}"
        )


class NewClientForm(forms.ModelForm):
    diagnosis_codes = forms.CharField(
        label="Diagnosis codes (ICD-10-CM)", required=False, max_length=200,
        help_text="Separated by commas, e.g. F84.0",
    )  # fmt: skip

    class Meta:
        model = Client
        fields = [
            "first_name", "last_name", "date_of_birth", "insurer", "member_id",
            "group_number", "guardian_name", "guardian_relationship", "phone", "email",
        ]  # fmt: skip
        widgets = {"date_of_birth": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = Insurer.objects.filter(is_active=True).order_by("name")
        self.fields["insurer"].required = True
        self.fields["member_id"].required = True

    def clean_diagnosis_codes(self) -> list[str]:
        raw = self.cleaned_data.get("diagnosis_codes") or ""
        return [code.strip().upper() for code in raw.split(",") if code.strip()]

    def _post_clean(self):
        # Model validation is the service's job (client_create); the form only shapes input.
        pass


class CaseDetailsForm(forms.Form):
    """Step 2: insurer, reason, service type and dates."""

    insurer = ModelChoiceField(label="Insurer", queryset=Insurer.objects.none())
    provider = ModelChoiceField(
        label="Treating provider", queryset=Provider.objects.none(), required=False,
        help_text="The out-of-network provider the insurer will contract with.",
    )  # fmt: skip
    reason = forms.ChoiceField(label="Reason for the SCA", choices=Reason.choices)
    initiated_by = forms.ChoiceField(label="Initiated by", choices=InitiatedBy.choices)
    service_type = forms.ChoiceField(label="Service type", choices=ServiceType.choices)
    planned_start_date = forms.DateField(
        label="Planned treatment start", required=False, widget=DATE
    )
    requested_start = forms.DateField(label="Agreement from", required=False, widget=DATE)
    requested_end = forms.DateField(label="Agreement to", required=False, widget=DATE)
    sessions_requested = forms.IntegerField(
        label="Sessions requested", required=False, min_value=1, max_value=100_000
    )
    sessions_remaining = forms.IntegerField(
        label="Sessions remaining (transitions)", required=False, min_value=0, max_value=100_000
    )
    clinical_justification = forms.CharField(
        label="Clinical justification", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why this client needs this provider: the insurer reads this first.",
    )  # fmt: skip

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = Insurer.objects.filter(is_active=True).order_by("name")
        self.fields["provider"].queryset = Provider.objects.filter(
            practice_id=practice_id, is_active=True
        ).order_by("last_name", "first_name")


class ServiceForm(forms.ModelForm):
    class Meta:
        model = RequestedService
        fields = ["billing_code", "modifier", "units", "unit_period", "requested_rate"]
        labels = {"requested_rate": "Requested rate per unit ($)"}

    def __init__(self, *args, aba_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        codes = self.fields["billing_code"].queryset.filter(is_active=True).order_by("code")
        if aba_only:
            codes = codes.filter(is_aba=True)
        self.fields["billing_code"].queryset = codes
        self.fields["billing_code"].label_from_instance = lambda c: (
            f"{c.code} · {c.short_description}"
        )
        self.fields["requested_rate"].required = False
        self.fields[
            "requested_rate"
        ].help_text = (
            "Left blank, the practice's usual rate for the code is used when there is one."
        )


class NetworkSearchForm(forms.ModelForm):
    class Meta:
        model = NetworkSearch
        fields = [
            "provider_name", "provider_npi", "contacted_on", "method", "outcome", "wait_weeks",
            "distance_miles", "notes",
        ]  # fmt: skip
        widgets = {"contacted_on": DATE, "notes": forms.TextInput()}
        labels = {"contacted_on": "Contacted on", "wait_weeks": "Wait (weeks)"}


class ConsentForm(forms.ModelForm):
    file = forms.FileField(
        label="Signed consent (PDF, PNG or JPEG)", required=False,
        help_text="The scan of the signed form, at most 10 MB.",
    )  # fmt: skip

    class Meta:
        model = Consent
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


class SubmitForm(forms.Form):
    submission_channel = forms.ChoiceField(
        label="Sent by", choices=SubmissionChannel.choices, required=False
    )
    insurer_reference = forms.CharField(
        label="Insurer's reference number", max_length=60, required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))


class TrackingForm(forms.Form):
    assigned_to = UserChoiceField(label="Assignee", required=False, queryset=None)
    follow_up_on = forms.DateField(label="Next follow-up", required=False, widget=DATE)

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _members(practice_id)
