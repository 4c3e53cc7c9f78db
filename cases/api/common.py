"""Mixins shared by the cases API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import PermissionDenied

from cases.models import Case, Role
from cases.permissions import can, role_for
from cases.selectors.case import get_case_for
from core.access import phi_read_cases

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.viewsets import GenericViewSet, ModelViewSet

    # The API's mixins only ever sit in front of a ViewSet: typed as one, plain at run time.
    ViewSetBase = GenericViewSet[Any]
    ModelViewSetBase = ModelViewSet[Any]
else:
    ViewSetBase = ModelViewSetBase = object


# What a download may answer besides the file (cases/downloads.py), for the schema.
FILE_REFUSALS = {
    404: OpenApiResponse(
        description="Not yours, or `file_missing`: the record's file is not in the private "
        "storage (operators are told in the log)."
    ),
    503: OpenApiResponse(
        description="`storage_unavailable` (the private storage is unreachable) or "
        "`access_log_unavailable`: try again after `Retry-After`."
    ),
}


class CaseChildMixin(ViewSetBase):
    """Sub-resources of one case (``cases/{case_pk}/...``): the case is looked up through the
    tenant selector (another practice's case is 404), and writes need a role in its practice."""

    lookup_value_regex = r"[0-9]{1,9}"
    role_action = "case"  # ACTION_ROLES: the least role that may write here
    _case: Case

    if TYPE_CHECKING:  # each ViewSet says which rows of the case it serves

        def child_queryset(self, case: Case) -> QuerySet[Any]: ...

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return super().get_queryset()  # the ViewSet's ``queryset`` (an empty one)
        return self.child_queryset(self.get_case())

    def get_case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = get_case_for(self.request.user, self.kwargs["case_pk"])
            if self.request.method in ("GET", "HEAD"):
                # Whatever of the case a read answers with is the case's patient data.
                phi_read_cases(self.request, [self._case])
        return self._case

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        case = self.get_case()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not can(
            request.user, case.practice_id, self.role_action
        ):
            role = Role(role_for(self.role_action)).label.lower()
            raise PermissionDenied(f"This needs the {role} role in this practice.")
