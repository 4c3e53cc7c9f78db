"""The agreement's terms, as the desk takes them when accepting or approving."""

from __future__ import annotations

from django import forms

from ..models.agreements import Agreement
from ..services.agreements import SESSIONS_AUTHORIZED_MAX, SESSIONS_AUTHORIZED_MIN
from .common import DATE


class TermsForm(forms.Form):
    authorization_number = forms.CharField(
        label="Authorization number",
        max_length=Agreement._meta.get_field("authorization_number").max_length,
    )
    start_date = forms.DateField(label="Agreement from", widget=DATE, required=False)
    end_date = forms.DateField(label="Agreement to", widget=DATE, required=False)
    sessions_authorized = forms.IntegerField(
        label="Sessions authorized",
        required=False,
        min_value=SESSIONS_AUTHORIZED_MIN,
        max_value=SESSIONS_AUTHORIZED_MAX,
    )
