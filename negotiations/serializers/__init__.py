"""The API's shapes, one module per area: offers, agreements (the terms), contacts,
fee_schedule, utilization, reminders."""
