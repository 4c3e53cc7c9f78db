"""Forms of the case pages: the list filters, the request's details step, and the workspace's
lifecycle and tracking forms."""

from __future__ import annotations

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from cases.models import (
    Case,
    CaseStatus,
    Client,
    InitiatedBy,
    Insurer,
    Provider,
    Reason,
    ServiceType,
    SubmissionChannel,
)
from cases.selectors.case import search_cases
from cases.selectors.readiness_rules import period_start_check, treatment_checks
from cases.selectors.reference import case_policy
from cases.services.case import (
    DECISION_REASON_MAX_LENGTH,
    SESSIONS_REMAINING_BOUNDS,
    SESSIONS_REQUESTED_BOUNDS,
)

from .common import DATE, ModelChoiceField, Select, UserChoiceField, members, model_choice
from .submissions import confirmation_field, sent_to_field

SORTS = {
    "newest": ("Newest first", ["-created_at", "-id"]),
    "oldest": ("Oldest first", ["created_at", "id"]),
    "follow_up": ("Follow-up soonest", ["follow_up_on", "-created_at", "-id"]),
    "submitted": ("Recently submitted", ["-submitted_at", "-id"]),
    "client": ("Client A to Z", ["client__last_name", "client__first_name", "-id"]),
    "insurer": ("Insurer A to Z", ["insurer__name", "-created_at", "-id"]),
}


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
        model_choice(self, "insurer").queryset = Insurer.objects.filter(is_active=True).order_by(
            "name"
        )
        model_choice(self, "provider").queryset = Provider.objects.filter(
            practice_id=practice_id
        ).order_by("last_name", "first_name")
        model_choice(self, "assigned_to").queryset = members(practice_id)
        self.fields["page"].widget = forms.HiddenInput()

    def apply(self, queryset: QuerySet[Case], *, search_practice_ids: list[int]) -> QuerySet[Case]:
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
        label="Planned treatment start", required=False, widget=DATE,
        help_text="New treatment: the day it will start. Leave empty if treatment began.",
    )  # fmt: skip
    # Care under way (continuity of care, provider transition): the true dates, never later
    # ones (DESIGN.md rule 3). That treatment began by today is the model field's rule.
    treatment_started_on = forms.DateField(
        label="In treatment since", required=False, widget=DATE,
        help_text="Care under way: the day treatment with this provider began. Required for "
        "continuity of care and a transition; leave empty for new treatment.",
    )  # fmt: skip
    coverage_change_on = forms.DateField(
        label="Coverage changed on", required=False, widget=DATE,
        help_text="Care under way: the day coverage changed or the provider left the network. "
        "The agreement may start then, as far back as the insurer's policy allows (90 days "
        "without one).",
    )  # fmt: skip
    requested_start = forms.DateField(label="Agreement from", required=False, widget=DATE)
    requested_end = forms.DateField(label="Agreement to", required=False, widget=DATE)
    sessions_requested = forms.IntegerField(
        label="Sessions requested",
        required=False,
        min_value=SESSIONS_REQUESTED_BOUNDS[0],
        max_value=SESSIONS_REQUESTED_BOUNDS[1],
    )
    sessions_remaining = forms.IntegerField(
        label="Sessions remaining (care under way)",
        help_text="Care under way: the sessions left of the treatment, or give the units "
        "remaining per code on the next step.",
        required=False,
        min_value=SESSIONS_REMAINING_BOUNDS[0],
        max_value=SESSIONS_REMAINING_BOUNDS[1],
    )
    clinical_justification = forms.CharField(
        label="Clinical justification", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why this client needs this provider: the insurer reads this first.",
    )  # fmt: skip

    # The dates that decide where the period may start; typing one re-checks it here.
    START_FIELDS = ("requested_start", "planned_start_date", "treatment_started_on",
                    "coverage_change_on", "reason", "insurer")  # fmt: skip

    def __init__(self, *args, practice_id: int, client: Client | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.practice_id, self.client = practice_id, client
        model_choice(self, "insurer").queryset = Insurer.objects.filter(is_active=True).order_by(
            "name"
        )
        model_choice(self, "provider").queryset = Provider.objects.filter(
            practice_id=practice_id, is_active=True
        ).order_by("last_name", "first_name")
        # The model's own date rules (treatment began by today) first, beside their field.
        for name in ("treatment_started_on", "coverage_change_on"):
            model_field = Case._meta.get_field(name)
            assert isinstance(model_field, models.Field)  # a column, not a relation
            self.fields[name].validators = [*model_field.validators]

    def clean(self):
        """The dates are checked where they are typed, by the review's own rules
        (``period_invalid``, ``period_already_started``, ``treatment_already_started``), so
        that step 2 and the review never disagree. A draft's untouched dates are left to the
        review: a day passing must not stop the practice saving its other fields."""
        data = super().clean() or {}
        start, end = data.get("requested_start"), data.get("requested_end")
        if start and end and end <= start:
            # readiness' period_invalid, on the field
            self.add_error("requested_end", "The requested period must end after it starts.")
        if (
            self.client is None
            or self.errors
            or not set(self.START_FIELDS) & set(self.changed_data)
        ):
            return data
        probe = Case(
            practice_id=self.practice_id, client=self.client, insurer=data["insurer"],
            reason=data["reason"], requested_start=start, requested_end=end,
            planned_start_date=data.get("planned_start_date"),
            treatment_started_on=data.get("treatment_started_on"),
            coverage_change_on=data.get("coverage_change_on"),
        )  # fmt: skip
        on = timezone.localdate()
        policy = case_policy(probe, on=on)
        started = period_start_check(probe, policy, on)
        if started is not None and not started.ok:
            self.add_error("requested_start", started.detail)
        planned = data.get("planned_start_date")
        for check in treatment_checks(probe, policy, on):
            if check.code == "treatment_already_started" and not check.ok and planned:
                self.add_error("planned_start_date", check.detail)
        return data


class SubmitForm(forms.Form):
    """Submit; the first sending is recorded with its channel, recipient and confirmation."""

    submission_channel = forms.ChoiceField(
        label="Sent by", choices=SubmissionChannel.choices, required=False
    )
    sent_to = sent_to_field(help_text="Leave empty for the insurer's contact for the channel.")
    confirmation = confirmation_field()
    insurer_reference = forms.CharField(
        label="Insurer's reference number",
        max_length=Case._meta.get_field("insurer_reference").max_length,
        required=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=DECISION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TrackingForm(forms.Form):
    assigned_to = UserChoiceField(label="Assignee", required=False, queryset=None)
    follow_up_on = forms.DateField(label="Next follow-up", required=False, widget=DATE)

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "assigned_to").queryset = members(practice_id)
