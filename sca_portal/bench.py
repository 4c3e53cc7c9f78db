"""The benchmark baseline: what DRF costs with our middleware and authentication and no work."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

PAYLOAD = {
    "results": [{"id": i, "status": "draft"} for i in range(25)],
    "next": None,
    "previous": None,
}


class BaselineView(APIView):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(PAYLOAD)
