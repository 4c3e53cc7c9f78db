"""The desk's contact log form."""

from __future__ import annotations

from django import forms

from cases.models import SubmissionChannel

from ..models.contacts import ContactLog, Direction
from .common import DATE


class ContactForm(forms.Form):
    direction = forms.ChoiceField(label="Direction", choices=Direction.choices)
    channel = forms.ChoiceField(label="Channel", choices=SubmissionChannel.choices)
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
