"""What the models of several areas share."""

from typing import TypedDict

from django.core.validators import MinValueValidator


class _MoneyOptions(TypedDict):
    max_digits: int
    decimal_places: int
    validators: list[MinValueValidator]


# Money: dollars and cents, never negative. The serializers (DRF reads the model field) and the
# forms (forms.common.money_field) take their bounds from the fields built with it.
MONEY: _MoneyOptions = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}
