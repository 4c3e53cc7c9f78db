"""The desk's contact log forms: log a contact or a peer-to-peer review, and record a
review's outcome later. Every field is shown without scripts; the service judges which go
with which kind (a review's fields on a plain contact are refused by name)."""

from __future__ import annotations

from typing import Any

from django import forms

from cases.forms.common import ModelChoiceField, Select, model_choice
from cases.forms.submissions import DATETIME
from cases.models import SubmissionChannel

from ..models.contacts import ContactKind, ContactLog, Direction, PeerToPeerOutcome
from ..selectors.contacts import providers_of
from ..services.contacts import REVIEW_ONLY_FIELDS, UNITS_APPROVED_MAX
from .common import DATE

_OUTCOMES = [("", "Not yet known"), *PeerToPeerOutcome.choices]


def _units_approved() -> forms.IntegerField:
    return forms.IntegerField(
        label="Units approved",
        min_value=0,
        max_value=UNITS_APPROVED_MAX,
        required=False,
        help_text="Only with an outcome of approved or partly approved.",
    )


def _at(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=False, widget=DATETIME, help_text=help_text)


class ContactForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", choices=ContactKind.choices, required=False, widget=Select
    )
    at = _at(
        "When",
        "A peer-to-peer review: when it is scheduled (empty while not yet booked). A contact: "
        "empty for now.",
    )
    direction = forms.ChoiceField(label="Direction", choices=Direction.choices, widget=Select)
    channel = forms.ChoiceField(label="Channel", choices=SubmissionChannel.choices, widget=Select)
    contact_name = forms.CharField(
        label="Spoke with",
        max_length=ContactLog._meta.get_field("contact_name").max_length,
        required=False,
    )
    reference_number = forms.CharField(
        label="Call reference",
        max_length=ContactLog._meta.get_field("reference_number").max_length,
        required=False,
    )
    summary = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_on = forms.DateField(label="Follow up on", widget=DATE, required=False)
    # A peer-to-peer review's own facts (the template groups them).
    request_by = forms.DateField(
        label="Request by",
        widget=DATE,
        required=False,
        help_text="The insurer's last day to ask for the review.",
    )
    treating_provider = ModelChoiceField(
        label="Treating BCBA",
        queryset=None,
        required=False,
        empty_label="The case's provider",
    )
    reviewer_name = forms.CharField(
        label="Insurer's reviewer",
        max_length=ContactLog._meta.get_field("reviewer_name").max_length,
        required=False,
    )
    reviewer_credentials = forms.CharField(
        label="Reviewer's credentials",
        max_length=ContactLog._meta.get_field("reviewer_credentials").max_length,
        required=False,
        help_text="For example MD, board-certified child psychiatrist; or BCBA-D.",
    )
    outcome = forms.ChoiceField(label="Outcome", choices=_OUTCOMES, required=False, widget=Select)
    units_approved = _units_approved()

    REVIEW_ONLY = tuple(REVIEW_ONLY_FIELDS)  # the service's list: the fields only a review has

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "treating_provider").queryset = providers_of(practice_id)

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.REVIEW_ONLY]

    def review_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REVIEW_ONLY]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values for contact_log: a review's fields left empty are not sent, so
        a plain contact is refused only for what was typed."""
        data = dict(self.cleaned_data)
        data["kind"] = data.get("kind") or ContactKind.CONTACT
        for name in self.REVIEW_ONLY:
            if data.get(name) in (None, ""):
                data.pop(name, None)
        return data


class ReviewOutcomeForm(forms.Form):
    """What became of a review (and its time, when it took place at another)."""

    at = _at("Time of the review", "")
    outcome = forms.ChoiceField(label="Outcome", choices=_OUTCOMES, required=False, widget=Select)
    units_approved = _units_approved()
    summary = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 2}))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("at") is None:  # left empty: the time stays
            data.pop("at", None)
        return data
