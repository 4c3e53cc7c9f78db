"""What the negotiation forms share: the date widget and money fields."""

from __future__ import annotations

from typing import TypedDict, Unpack

from django import forms
from django.core.validators import MinValueValidator
from django.db import models

DATE = forms.DateInput(attrs={"type": "date"})


class MoneyFieldOptions(TypedDict, total=False):
    label: str
    help_text: str
    error_messages: dict[str, str]


def money_field(
    model_field: models.DecimalField, **kwargs: Unpack[MoneyFieldOptions]
) -> forms.DecimalField:
    """A form field for a money column with the column's bounds: its digits and cents, and the
    minimum of its MinValueValidator (a model validator does not reach a plain form field).
    DRF's ModelSerializer reads the same model field, so the API refuses what this refuses."""
    minimum = next(
        (v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)), None
    )
    field = model_field.formfield(min_value=minimum, **kwargs)
    assert isinstance(field, forms.DecimalField)  # a DecimalField's form field, no form_class
    return field
