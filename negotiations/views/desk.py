"""The negotiation panel of the case workspace: offers, counters, accept, approve, decline,
contacts and utilization."""

urlpatterns: list = []
