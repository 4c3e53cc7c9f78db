"""Browser forms of the negotiations app, one module per area: offers, agreements (the
terms), contacts, fee_schedule, utilization. They shape input; the services write."""
