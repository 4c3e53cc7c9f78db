"""The workspace's form for a re-send, and the sending fields the submit form shares."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import Document, Submission, SubmissionChannel
from cases.services.submissions import SUBMISSION_PAGES_BOUNDS

from .common import Select

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def sent_to_field(*, help_text: str, datalist: str = "") -> forms.CharField:
    """``datalist``: the id of a <datalist> of the insurer's addresses to suggest."""
    attrs = {"list": datalist, "autocomplete": "off"} if datalist else {}
    return forms.CharField(
        label="Sent to",
        max_length=Submission._meta.get_field("sent_to").max_length,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


def confirmation_field() -> forms.CharField:
    return forms.CharField(
        label="Confirmation",
        max_length=Submission._meta.get_field("confirmation").max_length,
        required=False,
        help_text="The fax confirmation, portal reference or tracking number.",
    )


def document_label(document: Document) -> str:
    pages = f", {document.page_count} pages" if document.page_count else ""
    made = date_format(timezone.localtime(document.created_at), "M j, Y")
    return f"{document.get_kind_display()} of {made}{pages}"


class SubmissionForm(forms.Form):
    """A re-send. ``documents`` are the case's ready documents in the order offered
    (``cases.selectors.submissions.sendable``): the service checks the one chosen."""

    channel = forms.ChoiceField(label="Sent by", choices=SubmissionChannel.choices, widget=Select)
    sent_to = sent_to_field(
        help_text="The fax number, email, portal or address used.", datalist="insurer-addresses"
    )
    sent_at = forms.DateTimeField(
        label="Sent at", required=False, widget=DATETIME, help_text="Leave empty for now."
    )
    document = forms.TypedChoiceField(
        label="Document sent", required=False, coerce=int, empty_value=None, widget=Select,
        help_text="Its pages are counted when you leave Pages empty.",
    )  # fmt: skip
    pages = forms.IntegerField(
        label="Pages",
        required=False,
        min_value=SUBMISSION_PAGES_BOUNDS[0],
        max_value=SUBMISSION_PAGES_BOUNDS[1],
    )
    confirmation = confirmation_field()

    def __init__(self, *args, documents: list[Document], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "None named")] + [(d.pk, document_label(d)) for d in documents]
        cast("forms.TypedChoiceField", self.fields["document"]).choices = choices
