"""The cases API, one module per area: thin ViewSets that shape input, call one service, and
shape output. ``routes.register`` puts them on the router."""

# Names code outside cases imports from here, until it imports the area modules directly.
from cases.permissions import allowed_actions
from cases.serializers.case import CaseDetailSerializer

from .case import CaseViewSet
from .common import CaseChildMixin
from .routes import register

__all__ = [
    "CaseChildMixin",
    "CaseDetailSerializer",
    "CaseViewSet",
    "allowed_actions",
    "register",
]
