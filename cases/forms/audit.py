"""The access log page's filters: by ids and codes only, so they may travel in the URL (GET),
bookmarked and shared without a patient's name in them."""

from __future__ import annotations

from typing import Any

from django import forms

from cases.models import AccessAction
from cases.selectors.audit_log import AccessLogQuery, log_users
from core.api import MAX_ID

from .common import DATE, Select, UserChoiceField, model_choice


class AccessLogFilterForm(forms.Form):
    user = UserChoiceField(label="User", required=False, queryset=None, empty_label="Anyone")
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AccessAction.choices],
        widget=Select,
    )  # fmt: skip
    client = forms.IntegerField(
        label="Client id", required=False, min_value=1, max_value=MAX_ID,
        help_text="The number in the client's page address.",
    )  # fmt: skip
    case = forms.IntegerField(
        label="Case number", required=False, min_value=1, max_value=MAX_ID,
        help_text="The number on the case's page.",
    )  # fmt: skip
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice_id = practice_id
        model_choice(self, "user").queryset = log_users(practice_id)
        self.fields["page"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end comes before the start.")
        return data

    def query(self) -> AccessLogQuery:
        """The valid filters, for the selector (the current practice's entries only)."""
        data = self.cleaned_data
        user = data.get("user")
        return AccessLogQuery(
            practice_id=self.practice_id,
            user_id=user.pk if user is not None else None,
            client_id=data.get("client"),
            case_id=data.get("case"),
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
