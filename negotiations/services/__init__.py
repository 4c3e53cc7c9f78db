"""Every write of the negotiation, one module per area: offers (offers, counters, declining),
agreements (accepting, approving, expiry), contacts, fee_schedule, utilization, reminders.

Inside negotiations, import from the area module. The names below are re-exported only for
code outside the app and for admin.py during the transition (the lead removes them)."""

from .agreements import agreements_expire, offer_accept
from .contacts import CONTACT_FIELDS, contact_log
from .fee_schedule import PRACTICE_RATE_FIELDS, practice_rate_delete, practice_rate_save
from .offers import offer_record
from .reminders import reminders_run

__all__ = [
    "CONTACT_FIELDS",
    "PRACTICE_RATE_FIELDS",
    "agreements_expire",
    "contact_log",
    "offer_accept",
    "offer_record",
    "practice_rate_delete",
    "practice_rate_save",
    "reminders_run",
]
