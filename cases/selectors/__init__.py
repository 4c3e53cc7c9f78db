"""Scoped reads, one module per area: the one door to tenant data (``tenancy``, ``people``,
``case``, ``parts``, ``documents``), the policy in force (``reference``), readiness and the
audit's reads."""

# Names code outside cases imports from here, until it imports the area modules directly.
from .case import (
    case_detail_for,
    case_summaries,
    follow_ups_due,
    get_case_for,
    my_drafts,
    recently_decided,
    with_readiness,
)
from .readiness import case_readiness
from .reference import case_policy

__all__ = [
    "case_detail_for",
    "case_policy",
    "case_readiness",
    "case_summaries",
    "follow_ups_due",
    "get_case_for",
    "my_drafts",
    "recently_decided",
    "with_readiness",
]
