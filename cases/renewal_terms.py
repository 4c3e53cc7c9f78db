"""What a renewal carries (DESIGN.md rules 5 and 9): the agreed terms of the case it renews,
the authorization it renews and what was used of it.

The agreement lives in ``negotiations``, which ``cases`` never imports: negotiations registers
the source of a case's agreed terms when it starts (``register_agreed_terms`` in its
AppConfig.ready), as it registers its workspace panel and rate source (``cases.workspace``).
``renewal_terms`` is the one read of what the new draft will hold: the confirmation page shows
it and ``case_renew`` writes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from billing_codes.models import code_label

from .models import Case, Reason, UnitPeriod
from .models.case import DATE_CEILING
from .selectors.case import sessions_still_remaining
from .selectors.readiness_rules import CARE_REASONS


@dataclass(frozen=True)
class AgreedTermsLine:
    """A line of an agreement: the code and rate agreed, its units per ``unit_period``, and
    the units that gives over the agreement's period and those used so far."""

    billing_code_id: int
    code: str
    modifier: str
    description: str
    rate: Decimal
    units_authorized: int
    unit_period: str
    units_authorized_total: int
    units_used: int


@dataclass(frozen=True)
class AgreedTerms:
    """A case's agreement as a renewal reads it."""

    authorization_number: str
    start_date: dt.date
    end_date: dt.date
    sessions_authorized: int | None
    sessions_used: int
    lines: tuple[AgreedTermsLine, ...]


AgreedTermsSource = Callable[[Case], AgreedTerms | None]
_sources: list[AgreedTermsSource] = []


def register_agreed_terms(source: AgreedTermsSource) -> None:
    if source not in _sources:
        _sources.append(source)


def agreed_terms(case: Case) -> AgreedTerms | None:
    """The case's agreed terms, or None when it has no agreement (or nothing reports one)."""
    for source in _sources:
        terms = source(case)
        if terms is not None:
            return terms
    return None


@dataclass(frozen=True)
class RenewalLine:
    """A requested service of the renewal: the agreed code, units and rate (the requested
    ones when there is no agreement) and, from the agreement, what was authorized and used
    of it; ``units_remaining`` only for care under way."""

    billing_code_id: int
    code: str
    modifier: str
    description: str
    units: int
    unit_period: str
    requested_rate: Decimal | None
    prior_units_authorized: int | None = None
    prior_units_used: int | None = None
    units_remaining: int | None = None

    @property
    def label(self) -> str:
        return code_label(self.code, self.modifier)

    @property
    def period_label(self) -> str:
        return str(dict(UnitPeriod.choices).get(self.unit_period, self.unit_period))


@dataclass(frozen=True)
class RenewalTerms:
    """What ``case_renew`` will write for ``renews``."""

    renews: Case
    agreed: AgreedTerms | None
    prior_authorization_number: str
    prior_sessions_authorized: int | None
    prior_sessions_used: int | None
    care_under_way: bool
    treatment_started_on: dt.date | None
    coverage_change_on: dt.date | None
    sessions_remaining: int | None
    sessions_requested: int | None
    requested_start: dt.date | None
    lines: tuple[RenewalLine, ...]


def renewal_terms(case: Case) -> RenewalTerms:
    """The new draft's terms: with an agreement, its codes, units and rates (not the requested
    ones), its authorization number and the sessions and units used of it, and for care under
    way the units remaining per code (authorized less used, never below 0); without one, the
    requested services as they were. The period starts the day after the agreement (or the
    requested period) ends."""
    agreed = agreed_terms(case)
    care = case.reason in CARE_REASONS
    transition = case.reason == Reason.PROVIDER_TRANSITION
    # Only a transition carries its sessions remaining (what is left of the treatment).
    remaining = sessions_still_remaining(case) if transition else None
    if agreed is not None:
        lines = tuple(
            RenewalLine(
                billing_code_id=ln.billing_code_id,
                code=ln.code,
                modifier=ln.modifier,
                description=ln.description,
                units=ln.units_authorized,
                unit_period=ln.unit_period,
                requested_rate=ln.rate,
                prior_units_authorized=ln.units_authorized_total,
                prior_units_used=ln.units_used,
                units_remaining=max(ln.units_authorized_total - ln.units_used, 0) if care else None,
            )
            for ln in agreed.lines
        )
        ended: dt.date | None = agreed.end_date
    else:
        lines = tuple(
            RenewalLine(
                billing_code_id=s.billing_code_id,
                code=s.billing_code.code,
                modifier=s.modifier,
                description=s.billing_code.short_description,
                units=s.units,
                unit_period=s.unit_period,
                requested_rate=s.requested_rate,
            )
            for s in case.services.select_related("billing_code")
        )
        ended = case.requested_end
    return RenewalTerms(
        renews=case,
        agreed=agreed,
        prior_authorization_number=(agreed.authorization_number if agreed else "")
        or case.authorization_number,
        prior_sessions_authorized=agreed.sessions_authorized if agreed else None,
        prior_sessions_used=agreed.sessions_used if agreed else None,
        care_under_way=care,
        # Care under way stays under way: the renewal keeps when it began and why.
        treatment_started_on=case.treatment_started_on if care else None,
        coverage_change_on=case.coverage_change_on if care else None,
        sessions_remaining=remaining if transition else None,
        sessions_requested=remaining if transition else case.sessions_requested,
        # The day after the period it renews (none past the century's last day).
        requested_start=ended + dt.timedelta(days=1) if ended and ended < DATE_CEILING else None,
        lines=lines,
    )
