"""The negotiation API's routes on the project's router."""

from __future__ import annotations

from .agreements import ApproveViewSet
from .contacts import ContactLogViewSet
from .fee_schedule import PracticeRateViewSet
from .offers import DeclineViewSet, NegotiationViewSet, OfferViewSet
from .reminders import NotificationViewSet
from .utilization import UtilizationViewSet
from .worklist import TaskViewSet


def register(router) -> None:
    case = r"cases/(?P<case_pk>[0-9]{1,9})"
    router.register(f"{case}/offers", OfferViewSet, basename="case-offer")
    router.register(f"{case}/approve", ApproveViewSet, basename="case-approve")
    router.register(f"{case}/decline", DeclineViewSet, basename="case-decline")
    router.register(f"{case}/negotiation", NegotiationViewSet, basename="case-negotiation")
    router.register(f"{case}/contacts", ContactLogViewSet, basename="case-contact")
    router.register(f"{case}/utilization", UtilizationViewSet, basename="case-utilization")
    router.register("practice-rates", PracticeRateViewSet, basename="practice-rate")
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("tasks", TaskViewSet, basename="task")
