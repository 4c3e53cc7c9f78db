"""The desk's offer forms: the offer's details, one row per requested code (rate and units),
and the practice's decline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from billing_codes.models import code_label

from ..models.offers import Offer, OfferLine
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
_UNITS_FORMAT = "units are a whole number from 1."


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


class OfferLineForm(forms.Form):
    """One requested code's row of the offer or counter form: its rate and, optionally, its
    units. The rate's digits, cents and minimum come from the OfferLine model field, as the
    API's OfferLineSerializer has them, and the units' bounds from the service: the same bad
    input is refused at both doors. The inputs are ``<prefix>-rate-<service id>`` and
    ``<prefix>-units-<service id>`` (the panel's template writes them from ``rate_inputs``)."""

    rate = money_field(
        OfferLine._meta.get_field("rate"),
        error_messages={
            "required": _RATE_FORMAT,
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

    def __init__(self, *args, service, **kwargs):
        self.service = service
        super().__init__(*args, **kwargs)

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}-{field_name}-{self.service.pk}"

    @property
    def code(self) -> str:
        return code_label(self.service.billing_code.code, self.service.modifier)


def rate_inputs(services, prefix: str, initial: dict | None = None) -> list[dict]:
    """One rate (and optional units) input per requested code, labelled with the code."""
    rows = []
    for s in services:
        form = OfferLineForm(prefix=prefix, service=s)
        rows.append(
            {
                "service": s,
                "label": form.code,
                "rate_name": form.add_prefix("rate"),
                "units_name": form.add_prefix("units"),
                "rate": (initial or {}).get(s.pk, ""),
            }
        )
    return rows


def lines_from_post(
    post: QueryDict, services: Iterable[RequestedService], prefix: str, *, require_all: bool
) -> list[OfferLineData]:
    """The offer's lines from the rows of ``rate_inputs``: a row without a rate is not a line
    (unless ``require_all``); a bad rate or units is refused naming the code."""
    lines: list[OfferLineData] = []
    missing = []
    for s in services:
        form = OfferLineForm(post, prefix=prefix, service=s)
        if not (post.get(form.add_prefix("rate")) or "").strip():
            missing.append(form.code)
            continue
        if not form.is_valid():
            name, errors = next(iter(form.errors.items()))
            raise ValidationError({name: f"{form.code}: {errors[0]}"})
        line: OfferLineData = {
            "billing_code": s.billing_code,
            "modifier": s.modifier,
            "rate": form.cleaned_data["rate"],
        }
        if form.cleaned_data["units"] is not None:
            line["units"] = form.cleaned_data["units"]
            line["unit_period"] = s.unit_period
        lines.append(line)
    if require_all and missing:
        raise ValidationError({"rate": f"Give the rate for {', '.join(missing)}."})
    return lines


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why the practice declines",
        max_length=DECLINE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
