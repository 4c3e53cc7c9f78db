"""Reads with rules, one module per area: offers (the negotiation summary), agreements,
contacts, fee_schedule, utilization, reminders, reports (the summary and the board).

Import from the area module; this package exports nothing."""
