"""Forms of the cases pages, one module per area. They shape input only; the services decide
(DESIGN rule 2).
Import from the area module; this package exports nothing."""
