"""Forms of the cases pages, one module per area. They shape input only; the services decide
(DESIGN rule 2)."""

# Names code outside cases imports from here, until it imports the area modules directly.
from .case import CaseFilterForm
from .common import Select

__all__ = ["CaseFilterForm", "Select"]
