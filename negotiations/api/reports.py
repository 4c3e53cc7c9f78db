"""The reports API: the summary for billing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import phi_read

from ..selectors.reports import billing_practice_ids, reports_summary


class ReportSummaryView(APIView):
    """GET ``reports/summary/`` (billing): cases by status, approval rate and median days to
    decision per insurer, achieved rate as a percent of requested, agreements expiring soon,
    appeals by outcome per insurer with the overturn rate."""

    @extend_schema(
        parameters=[OpenApiParameter("practice", int, required=False)],
        responses={
            200: inline_serializer(
                "ReportSummary",
                fields={
                    "cases_by_status": serializers.DictField(child=serializers.IntegerField()),
                    "insurers": serializers.ListField(child=serializers.DictField()),
                    "achieved_rate_pct_of_requested": serializers.DecimalField(
                        10, 2, allow_null=True
                    ),
                    "agreements_expiring_30_days": serializers.ListField(
                        child=serializers.DictField()
                    ),
                    "appeals_by_insurer": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request):
        if not billing_practice_ids(request.user):
            raise PermissionDenied("Reports are for billing managers and administrators.")
        practice = request.query_params.get("practice")
        try:
            practice_id = int(practice) if practice else None
        except ValueError:
            return Response({"practice": ["A practice id is a number."]}, status=400)
        report = reports_summary(request.user, practice_id=practice_id)
        # The agreements ending soon carry case and authorization numbers: a read of those cases.
        for row in report["agreements_expiring_30_days"]:
            phi_read(request, practice_id=row["practice"], pairs=[(row["client"], row["case"])])
        return Response(report)
