"""Uploading a case's clinical attachment, or a provider's or practice's document."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.functional import lazy

from cases.models import CaseAttachment, Provider, ProviderDocument
from core.uploads import size_label

from .common import DATE, model_choice


def file_help() -> str:
    limit = size_label(settings.UPLOAD_MAX_BYTES)
    return f"A PDF, PNG or JPEG, at most {limit}. A PDF locked by a password cannot be used."


class AttachmentForm(forms.ModelForm):
    file = forms.FileField(label="File", help_text=lazy(file_help, str)())

    class Meta:
        model = CaseAttachment
        fields = ["kind", "title"]
        labels = {"kind": "Kind of document"}
        help_texts = {"title": "Left empty, the kind's name is used."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False  # a blank title takes the kind's name


class ProviderDocumentForm(forms.ModelForm):
    file = forms.FileField(label="File", help_text=lazy(file_help, str)())

    class Meta:
        model = ProviderDocument
        fields = ["provider", "kind", "title", "expires_on"]
        widgets = {"expires_on": DATE}
        labels = {"kind": "Kind of document", "expires_on": "Expires on"}
        help_texts = {"title": "Left empty, the kind's name is used."}

    def __init__(self, *args, practice_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        provider = model_choice(self, "provider")
        provider.queryset = Provider.objects.filter(practice_id=practice_id, is_active=True)
        provider.empty_label = "The practice (no provider)"
        provider.required = False
