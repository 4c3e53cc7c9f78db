"""DRF shapes of the cases app, one module per area. Validation of rules lives in the
services and models."""

# Names code outside cases imports from here, until it imports the area modules directly.
from .case import (
    CASE_ROW_COLUMNS,
    CaseDetailSerializer,
    CaseFieldsSerializer,
    CaseListSerializer,
    _with_assignee_name,
    case_rows,
    case_rows_in_order,
)
from .tenancy import PracticeOwnedSerializer

__all__ = [
    "CASE_ROW_COLUMNS",
    "CaseDetailSerializer",
    "CaseFieldsSerializer",
    "CaseListSerializer",
    "PracticeOwnedSerializer",
    "_with_assignee_name",
    "case_rows",
    "case_rows_in_order",
]
