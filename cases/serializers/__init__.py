"""DRF shapes of the cases app, one module per area. Validation of rules lives in the
services and models.
Import from the area module; this package exports nothing."""
