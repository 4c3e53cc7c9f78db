"""A case's appeals: one record per level, listed oldest first, and each level's decision.
(Filing a level is ``POST cases/{id}/appeal/``, a lifecycle action in api.case.)"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.models import Appeal
from cases.selectors.appeals import appeals_for
from cases.serializers.appeals import AppealDecideSerializer, AppealSerializer
from cases.services.appeals import appeal_decide
from core.auth import signed_in_user

from .common import CaseChildMixin


class AppealViewSet(
    CaseChildMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The case's appeals, oldest first: level, deadline (``due_on``) and whether it was filed
    after it (``late``), the insurer's reference, the outcome. ``{id}/decide/`` records an
    upheld denial (the case is denied again; the next level may be filed) or a withdrawn
    level; a level already decided is 409 ``appeal_decided``."""

    serializer_class = AppealSerializer
    queryset = Appeal.objects.none()
    pagination_class = None  # a case has a level or three
    filter_backends = []
    role_action = "uphold"

    def child_queryset(self, case):
        return appeals_for(case)

    @extend_schema(request=AppealDecideSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, case_pk=None, pk=None):
        appeal = self.get_object()  # the case's own: another case's level is 404
        body = AppealDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = appeal_decide(
            case_id=self.get_case().pk,
            appeal_id=appeal.pk,
            actor=signed_in_user(request),
            **body.validated_data,
        )
        return Response(AppealSerializer(decided).data)
