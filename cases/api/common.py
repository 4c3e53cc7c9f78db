"""Mixins shared by the cases API."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from cases.models import Case, Role
from cases.permissions import can, role_for
from cases.selectors.case import get_case_for


class CaseChildMixin:
    """Sub-resources of one case (``cases/{case_pk}/...``): the case is looked up through the
    tenant selector (another practice's case is 404), and writes need a role in its practice."""

    lookup_value_regex = r"[0-9]{1,9}"
    role_action = "case"  # ACTION_ROLES: the least role that may write here

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return self.queryset
        return self.child_queryset(self.get_case())

    def get_case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = get_case_for(self.request.user, self.kwargs["case_pk"])
        return self._case

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        case = self.get_case()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not can(
            request.user, case.practice_id, self.role_action
        ):
            role = Role(role_for(self.role_action)).label.lower()
            raise PermissionDenied(f"This needs the {role} role in this practice.")
