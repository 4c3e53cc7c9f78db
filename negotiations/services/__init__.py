"""Every write of the negotiation, one module per area: offers (offers, counters, declining),
agreements (accepting, approving, expiry), contacts, fee_schedule, utilization, reminders.

Import from the area module; this package exports nothing."""
