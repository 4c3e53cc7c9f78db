"""Moved to ``cases.api.audit``; kept while sca_portal.urls and negotiations.apps import from
here (the lead rewrites those imports)."""

from .api.audit import ChangeHistoryView, register_audited

__all__ = ["ChangeHistoryView", "register_audited"]
