"""``{% load money %}``: amounts as a US reader expects them, ``$9,888.00``, and counts of
units or hours, ``1,920``, in every printed document. Filters of ``cases`` (an installed app)
so that every app's templates can load them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(value: object, blank: str = "") -> str:
    """Dollars with thousands separators and cents; ``blank`` for an empty value (None, "")
    or one that is not a number."""
    if value is None or value == "":
        return blank
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return blank
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def quantity(value: object) -> str:
    """A count of units or hours: thousands separators, one decimal only when there is one
    (``1,920``, ``10.5``); "" for an empty value."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.1f}"
