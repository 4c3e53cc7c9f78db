"""Every write in the cases app, one module per area. Views, API, admin actions and tasks call
these. Import from the area module; this package exports nothing."""
