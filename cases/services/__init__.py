"""Every write in the cases app, one module per area. Views, API, admin actions and tasks call
these."""

# Names imported from here (outside cases, and cases/admin.py), until they import the area
# modules directly.
from . import people as imports  # tests/cases/test_views_people.py: the CSV import's limits
from .case import (
    case_bump,
    case_deny,
    case_set_follow_up,
    case_submit,
    check_transition,
    lock_case,
    record_event,
)
from .documents import document_render, document_request, documents_sweep
from .people import client_create, client_update, provider_create, provider_update
from .reference import (
    insurer_contact_create,
    insurer_create,
    insurer_update,
    rate_policy_revise,
    rate_policy_update,
    validate_modifier,
)
from .tenancy import practice_update

__all__ = [
    "client_create",
    "client_update",
    "insurer_create",
    "practice_update",
    "provider_create",
    "provider_update",
    "case_bump",
    "case_deny",
    "case_set_follow_up",
    "case_submit",
    "check_transition",
    "document_render",
    "document_request",
    "documents_sweep",
    "imports",
    "insurer_contact_create",
    "insurer_update",
    "lock_case",
    "rate_policy_revise",
    "rate_policy_update",
    "record_event",
    "validate_modifier",
]
