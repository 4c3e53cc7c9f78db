"""Moved to ``cases.selectors.documents``; kept while negotiations imports the builder registry
from here (the lead rewrites those imports)."""

from .selectors.documents import DocumentNotAvailable, consent_form_context, register

__all__ = ["DocumentNotAvailable", "consent_form_context", "register"]
