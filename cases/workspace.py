"""Panels other apps add to the case workspace, so that ``cases`` never imports them
(negotiations registers its panel in its AppConfig.ready)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from .models import Case


@dataclass
class Panel:
    template: str
    context: dict[str, object]


PanelBuilder = Callable[[HttpRequest, Case], Panel | None]
_builders: list[PanelBuilder] = []


def register_panel(builder: PanelBuilder) -> None:
    if builder not in _builders:
        _builders.append(builder)


def panels_for(request: HttpRequest, case: Case) -> list[Panel]:
    return [panel for builder in _builders if (panel := builder(request, case)) is not None]


# The practice's usual rate per code, from the fee schedule (kept by negotiations): the
# guided request prefills the requested rate with it.
RateSource = Callable[[int], dict[tuple[int, str], Decimal]]
_rate_sources: list[RateSource] = []


def register_rate_source(source: RateSource) -> None:
    if source not in _rate_sources:
        _rate_sources.append(source)


def usual_rates(practice_id: int) -> dict[tuple[int, str], Decimal]:
    """{(billing_code_id, modifier): usual rate} for the practice."""
    rates: dict[tuple[int, str], Decimal] = {}
    for source in _rate_sources:
        rates.update(source(practice_id))
    return rates


def usual_rate(practice_id: int, billing_code_id: int | None, modifier: str = "") -> Decimal | None:
    """The practice's usual rate for a code and modifier (or the code without one)."""
    rates = usual_rates(practice_id)
    if billing_code_id is None:  # no code chosen yet: no rate
        return None
    return rates.get((billing_code_id, modifier), rates.get((billing_code_id, "")))
