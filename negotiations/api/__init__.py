"""The negotiation API, one module per area: offers, agreements, contacts, fee_schedule,
utilization, reminders, reports. Thin: each write calls one service. ``routes.register`` puts
them on the router.

Import from the area module; this package exports nothing."""
