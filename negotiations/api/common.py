"""What the negotiation API's areas share: the case's detail as a decision's answer, and the
schema of a collection route that answers one object."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import status
from rest_framework.response import Response

from cases.permissions import allowed_actions
from cases.selectors.case import case_detail_for
from cases.serializers.case import CaseDetailSerializer


def case_detail_response(request, case_id: int, code=status.HTTP_200_OK) -> Response:
    """The case after a decision, as ``GET cases/{id}/`` answers it."""
    case = case_detail_for(request.user).get(pk=case_id)
    data = CaseDetailSerializer(case, context={"request": request}).data
    data["allowed_actions"] = allowed_actions(case, request.user)
    return Response(data, status=code)


class SingleObjectSchema(AutoSchema):
    """The route is a collection route, but it answers one object, not a list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
