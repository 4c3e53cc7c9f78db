"""Browser views of the negotiations app, one module per area: offers (the workspace panel and
the offer steps), agreements, contacts, utilization, fee_schedule, reminders. ``common`` holds
the desk's POST endpoint and its role table; negotiations/urls.py routes them."""
