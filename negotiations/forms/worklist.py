"""The task list's forms: the list's switches, snoozing a task, the digest switch."""

from __future__ import annotations

from django import forms

from ..selectors.worklist import KINDS, MINE, VIEWS


class TaskFilterForm(forms.Form):
    """``?view=mine|practice&kind=...``: anything else reads as the default (mine, all)."""

    view = forms.ChoiceField(choices=list(VIEWS.items()), required=False)
    kind = forms.ChoiceField(choices=[("", "All kinds"), *KINDS.items()], required=False)

    def choice(self) -> tuple[str, str]:
        if not self.is_valid():
            return MINE, ""
        return self.cleaned_data["view"] or MINE, self.cleaned_data["kind"]


class TaskSnoozeForm(forms.Form):
    until = forms.DateField(
        label="Snooze until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the day the task shows again.",
                        "invalid": "Enter a date as YYYY-MM-DD."},
    )  # fmt: skip


class TaskDigestForm(forms.Form):
    on = forms.BooleanField(required=False)
