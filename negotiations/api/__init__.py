"""The negotiation API, one module per area: offers, agreements, contacts, fee_schedule,
utilization, reminders, reports. Thin: each write calls one service. ``routes.register`` puts
them on the router.

The names below are re-exported only for sca_portal/urls.py during the transition (the lead
removes them)."""

from .reports import ReportSummaryView
from .routes import register

__all__ = ["ReportSummaryView", "register"]
