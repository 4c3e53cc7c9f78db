"""Reads of the agreements: the agreement summary (also the content of the agreement summary
document), the flags an agreement would carry, the agreed terms a renewal carries, and the
agreements that ended."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from django.db.models import Prefetch
from django.utils import timezone

from billing_codes.models import BillingCode, code_label
from cases.models import Case, CaseStatus
from cases.renewal_terms import AgreedTerms, AgreedTermsLine
from cases.selectors.documents import DocumentNotAvailable, document_context

from .. import pricing
from ..models.agreements import Agreement, AgreementLine
from .fee_schedule import floor_rates_for
from .utilization import utilization_summary


class AgreedLine(TypedDict):
    """A line of an agreement being written: the code, the rate and the units authorized."""

    billing_code: BillingCode
    modifier: str
    rate: Decimal
    units: int
    unit_period: str


class AgreementFlags(TypedDict):
    missing_codes: list[str]
    below_floor: list[str]


class AgreementSummaryLine(TypedDict):
    code: str
    modifier: str
    description: str
    rate: Decimal
    units_authorized: int
    unit_period: str
    value: Decimal


class AgreementSummary(TypedDict):
    id: int
    authorization_number: str
    start_date: dt.date
    end_date: dt.date
    sessions_authorized: int | None
    flags: AgreementFlags
    lines: list[AgreementSummaryLine]
    total_value: Decimal


def agreement_summary(agreement: Agreement) -> AgreementSummary:
    lines = list(agreement.lines.select_related("billing_code"))
    value = pricing.agreement_value(
        [(ln.rate, ln.units_authorized, ln.unit_period) for ln in lines],
        agreement.start_date,
        agreement.end_date,
    )
    return {
        "id": agreement.pk,
        "authorization_number": agreement.authorization_number,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "sessions_authorized": agreement.sessions_authorized,
        "flags": agreement.flags,
        "lines": [
            {
                "code": ln.billing_code.code,
                "modifier": ln.modifier,
                "description": ln.billing_code.short_description,
                "rate": ln.rate,
                "units_authorized": ln.units_authorized,
                "unit_period": ln.unit_period,
                "value": v,
            }
            for ln, v in zip(lines, value.lines, strict=True)
        ],
        "total_value": value.total,
    }


def agreement_summary_context(case: Case) -> dict[str, object]:
    """The agreement summary's content, registered with the cases document pipeline: the
    case's shared content, the agreement's lines with their codes spelled out, who at the
    insurer agreed and when, and the codes the practice has a floor for (it claims nothing
    about a floor it does not have)."""
    ctx = document_context(case)
    agreement = Agreement.objects.select_related("source_offer").filter(case_id=case.pk).first()
    if agreement is None:
        raise DocumentNotAvailable("This case has no agreement yet.")
    summary = agreement_summary(agreement)
    ctx["agreement"] = summary
    ctx["agreed_on"] = timezone.localdate(agreement.created_at)
    ctx["offer"] = agreement.source_offer
    # Today's floors (the flags hold those of the day the agreement was written).
    floors = floor_rates_for(case.practice_id)
    ids = dict(agreement.lines.values_list("billing_code__code", "billing_code_id"))
    floor_codes, below_now = [], []
    for ln in summary["lines"]:
        key = (ids[ln["code"]], ln["modifier"])
        floor = floors.get(key, floors.get((key[0], "")))
        if floor is not None:
            floor_codes.append(code_label(ln["code"], ln["modifier"]))
            if ln["rate"] < floor:
                below_now.append(floor_codes[-1])
    ctx["floor_codes"], ctx["below_floor_now"] = floor_codes, below_now
    return ctx


def agreement_flags(case: Case, lines: list[AgreedLine]) -> AgreementFlags:
    """Requested codes left out of the agreement, and lines below the practice's floor."""
    agreed = {(line["billing_code"].pk, line["modifier"]) for line in lines}
    missing = [
        code_label(s.billing_code.code, s.modifier)
        for s in case.services.select_related("billing_code")
        if (s.billing_code_id, s.modifier) not in agreed
    ]
    floors = floor_rates_for(case.practice_id)
    below = []
    for line in lines:
        key = (line["billing_code"].pk, line["modifier"])
        floor = floors.get(key, floors.get((key[0], "")))
        if floor is not None and line["rate"] < floor:
            below.append(f"{line['billing_code'].code} ({line['rate']} < {floor})")
    return {"missing_codes": missing, "below_floor": below}


def agreed_terms_for(case: Case) -> AgreedTerms | None:
    """The case's agreement as its renewal reads it (registered with ``cases.renewal_terms``):
    per line the code, rate and units agreed, the units over the agreement's period and those
    used so far, as the utilization summary counts them; the sessions authorized and used.
    Four queries, however many lines and entries."""
    agreement = (
        Agreement.objects.filter(case_id=case.pk)
        .prefetch_related(
            Prefetch("lines", queryset=AgreementLine.objects.select_related("billing_code")),
            "utilization",
        )
        .first()
    )
    if agreement is None:
        return None
    summary = utilization_summary(agreement)
    lines = agreement.lines.all()
    return AgreedTerms(
        authorization_number=agreement.authorization_number,
        start_date=agreement.start_date,
        end_date=agreement.end_date,
        sessions_authorized=agreement.sessions_authorized,
        sessions_used=summary["sessions_used"],
        lines=tuple(
            AgreedTermsLine(
                billing_code_id=ln.billing_code_id,
                code=ln.billing_code.code,
                modifier=ln.modifier,
                description=ln.billing_code.short_description,
                rate=ln.rate,
                units_authorized=ln.units_authorized,
                unit_period=ln.unit_period,
                units_authorized_total=used["units_authorized"],
                units_used=used["units_used"],
            )
            for ln, used in zip(lines, summary["lines"], strict=True)
        ),
    )


def ended_case_ids(today: dt.date) -> list[int]:
    """Approved cases whose agreement ended before ``today``."""
    return list(
        Case.objects.filter(status=CaseStatus.APPROVED, agreement__end_date__lt=today).values_list(
            "pk", flat=True
        )
    )
