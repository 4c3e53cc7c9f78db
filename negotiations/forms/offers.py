"""The desk's offer forms: the offer's details, one row per requested code (the insurer's
offer: rate and units; the practice's counter: how it is expressed, the rate or percent, and
units), and the practice's decline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from billing_codes.models import code_label

from ..models.offers import Offer, OfferLine, RateBasis
from ..services.offers import (
    DECLINE_REASON_MAX_LENGTH,
    OFFER_LINE_UNITS_MAX,
    OFFER_LINE_UNITS_MIN,
    OfferLineData,
)
from .common import DATE, money_field

if TYPE_CHECKING:
    from django.http import QueryDict

    from cases.models import RequestedService

_RATE_FORMAT = "enter the rate in dollars, e.g. 62.50."
_AMOUNT_FORMAT = "enter dollars (e.g. 62.50) or a percent (e.g. 85)."
_UNITS_FORMAT = f"units are a whole number from {OFFER_LINE_UNITS_MIN} to {OFFER_LINE_UNITS_MAX:,}."
# How a counter's amount is read: the "as" select beside it (the model's RateBasis, in words
# that fit a select).
COUNTER_BASES = [
    (RateBasis.RATE.value, "$ per unit"),
    (RateBasis.PERCENT_OF_BILLED.value, "% of billed charges"),
    (RateBasis.PERCENT_OF_MEDICAID.value, "% of Medicaid schedule"),
    (RateBasis.PERCENT_OF_TRICARE.value, "% of TRICARE schedule"),
]


class OfferMetaForm(forms.Form):
    received_on = forms.DateField(label="Received on", widget=DATE, required=False)
    rep_name = forms.CharField(
        label="Insurer representative",
        max_length=Offer._meta.get_field("rep_name").max_length,
        required=False,
    )
    reference_number = forms.CharField(
        label="Reference number",
        max_length=Offer._meta.get_field("reference_number").max_length,
        required=False,
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CounterMetaForm(OfferMetaForm):
    """The counter's details: the same fields, dated the day it is sent."""

    received_on = forms.DateField(label="Sent on", widget=DATE, required=False)


def offer_details(data: dict) -> dict:
    """The details a meta form cleaned, without the empty ones (the service's defaults)."""
    return {k: v for k, v in data.items() if v not in (None, "")}


class OfferLineForm(forms.Form):
    """One requested code's row of the insurer's offer: its rate and, optionally, its units.
    The rate's digits, cents and minimum come from the OfferLine model field, as the API's
    OfferLineSerializer has them, and the units' bounds from the service: the same bad input is
    refused at both doors. A row without a rate is no line, so nothing here is required. The
    inputs are ``<prefix>-<field>-<service id>``; the labels name the code."""

    use_required_attribute = False

    rate = money_field(
        OfferLine._meta.get_field("rate"),
        error_messages={
            "invalid": _RATE_FORMAT,
            "max_digits": _RATE_FORMAT,
            "max_decimal_places": _RATE_FORMAT,
            "max_whole_digits": _RATE_FORMAT,
            "min_value": "a rate cannot be negative.",
        },
    )
    units = forms.IntegerField(
        required=False,
        min_value=OFFER_LINE_UNITS_MIN,
        max_value=OFFER_LINE_UNITS_MAX,
        error_messages={
            "invalid": _UNITS_FORMAT,
            "min_value": _UNITS_FORMAT,
            "max_value": _UNITS_FORMAT,
        },
    )
    row_labels = {"rate": "{code} rate offered ($)", "units": "{code} units (optional)"}

    def __init__(self, *args, service: RequestedService, **kwargs):
        self.service = service
        super().__init__(*args, **kwargs)
        self.fields["rate"].required = False
        self.fields["rate"].widget.attrs["inputmode"] = "decimal"
        for name, label in self.row_labels.items():
            self.fields[name].label = label.format(code=self.code)

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}-{field_name}-{self.service.pk}"

    @property
    def code(self) -> str:
        return code_label(self.service.billing_code.code, self.service.modifier)

    @property
    def is_line(self) -> bool:
        """A row with an amount typed is a line of the offer (bound forms only)."""
        return bool((self.data.get(self.add_prefix("rate")) or "").strip())

    def line(self) -> OfferLineData:
        line: OfferLineData = {
            "billing_code": self.service.billing_code,
            "modifier": self.service.modifier,
            "rate": self.cleaned_data["rate"],
        }
        if self.cleaned_data["units"] is not None:
            line["units"] = self.cleaned_data["units"]
            line["unit_period"] = self.service.unit_period
        return line


class CounterLineForm(OfferLineForm):
    """One requested code's row of the practice's counter: a rate per unit, or a percent of
    billed charges (the practice's usual rate) or of the Medicaid or TRICARE schedule (the
    policy's reference rate), as the "as" select says; the service converts a percent to the
    rate per unit and its bounds (1 to 500) are the model field's, checked there."""

    expressed_as = forms.ChoiceField(choices=COUNTER_BASES, required=False)
    rate = money_field(
        OfferLine._meta.get_field("rate"),
        error_messages={
            "invalid": _AMOUNT_FORMAT,
            "max_digits": _AMOUNT_FORMAT,
            "max_decimal_places": _AMOUNT_FORMAT,
            "max_whole_digits": _AMOUNT_FORMAT,
            "min_value": "it cannot be negative.",
        },
    )
    field_order = ["expressed_as", "rate", "units"]
    row_labels = {
        "expressed_as": "{code} counter as",
        "rate": "{code} counter ($ or %)",
        "units": "{code} units countered (optional)",
    }

    def line(self) -> OfferLineData:
        line = super().line()
        basis = self.cleaned_data["expressed_as"] or RateBasis.RATE
        if basis != RateBasis.RATE:
            line["expressed_as"] = basis
            line["percent"] = line.pop("rate")
        return line


class LineForms:
    """The rows of an offer or counter form, one per requested code (``services`` in their
    order), bound to a POST or not. ``lines()`` gives the service its lines (a row without an
    amount is none); ``add_errors`` puts the service's refusal of ``lines[i].<field>`` beside
    the row that became line ``i``, and of ``lines`` above the rows."""

    def __init__(
        self,
        services: Iterable[RequestedService],
        prefix: str,
        *,
        data: QueryDict | None = None,
        initial: dict[int, dict] | None = None,
        counter: bool = False,
    ) -> None:
        form_class = CounterLineForm if counter else OfferLineForm
        self.rows = [
            form_class(data, prefix=prefix, service=s, initial=(initial or {}).get(s.pk))
            for s in services
        ]
        self.non_field_errors: list[str] = []

    def __iter__(self):
        return iter(self.rows)

    @property
    def is_bound(self) -> bool:
        return bool(self.rows) and self.rows[0].is_bound

    def _line_rows(self) -> list[OfferLineForm]:
        return [row for row in self.rows if row.is_line]

    def is_valid(self) -> bool:
        # Every row is checked (``all`` would stop at the first), so each shows its errors.
        return all([row.is_valid() for row in self._line_rows()])

    def lines(self) -> list[OfferLineData]:
        """The lines, or a refusal naming the first bad row (its field: ``rate``, ``units``)."""
        if not self.is_valid():
            row = next(row for row in self._line_rows() if row.errors)
            name, errors = next(iter(row.errors.items()))
            raise ValidationError({name: f"{row.code}: {errors[0]}"})
        return [row.line() for row in self._line_rows()]

    def add_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Place the errors about lines; answer the others (the offer's details')."""
        line_rows = self._line_rows()
        rest: dict[str, list[str]] = {}
        for name, messages in errors.items():
            index, _, field = name.removeprefix("lines[").partition("].")
            if name.startswith("lines[") and index.isdigit() and int(index) < len(line_rows):
                row = line_rows[int(index)]
                # A percent is typed in the amount's input; a modifier is the row's own.
                target = "rate" if field in ("rate", "percent", "modifier") else field
                for message in messages:
                    row.add_error(target if target in row.fields else None, message)
            elif name == "lines":
                self.non_field_errors.extend(messages)
            else:
                rest[name] = messages
        return rest


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why the practice declines",
        max_length=DECLINE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
