"""Browser views of the cases app, one module per area; each calls the same services and
selectors as the API.
Import from the area module; this package exports nothing."""
