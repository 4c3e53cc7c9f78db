"""Offers and counter-offers, agreements, the contact log, the practice fee schedule,
utilization, notifications and the email outbox: one module per area; Django finds them all here."""

from .agreements import Agreement, AgreementLine
from .contacts import ContactKind, ContactLog, Direction, PeerToPeerOutcome
from .fee_schedule import PracticeRate
from .offers import Offer, OfferLine, OfferParty, OfferStatus, RateBasis
from .outbox import EmailOutbox, OutboxState
from .reminders import Notification
from .utilization import UtilizationEntry
from .worklist import TaskState

__all__ = [
    "Agreement",
    "AgreementLine",
    "ContactKind",
    "ContactLog",
    "Direction",
    "EmailOutbox",
    "Notification",
    "Offer",
    "OfferLine",
    "OfferParty",
    "OfferStatus",
    "OutboxState",
    "PeerToPeerOutcome",
    "PracticeRate",
    "RateBasis",
    "TaskState",
    "UtilizationEntry",
]
