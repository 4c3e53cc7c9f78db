"""Widgets and fields shared by the cases forms: selects built in Python, read in one query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

DATE = forms.DateInput(attrs={"type": "date"})


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's select of rows ``name``, typed as one (``fields`` holds plain Fields)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def members(practice_id: int) -> QuerySet[User]:
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
