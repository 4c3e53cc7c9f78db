"""Reads with rules, one module per area: offers (the negotiation summary), agreements,
contacts, fee_schedule, utilization, reminders, reports (the summary and the board).

Inside negotiations, import from the area module. The names below are re-exported only for
code outside the app during the transition (the lead removes them)."""

from .offers import negotiation_summary
from .reminders import unread_notifications
from .reports import BOARD_STATUSES, board_column, negotiation_board, reports_summary
from .utilization import utilization_alerts, utilization_notices

__all__ = [
    "BOARD_STATUSES",
    "board_column",
    "negotiation_board",
    "negotiation_summary",
    "reports_summary",
    "unread_notifications",
    "utilization_alerts",
    "utilization_notices",
]
