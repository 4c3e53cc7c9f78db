"""Forms of the cases pages, one module per area. They shape input only; the services decide
(DESIGN.md section 3, house rule 3).
Import from the area module; this package exports nothing."""
