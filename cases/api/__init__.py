"""The cases API, one module per area: thin ViewSets that shape input, call one service, and
shape output. ``routes.register`` puts them on the router.
Import from the area module; this package exports nothing."""
