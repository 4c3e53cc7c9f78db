"""API plumbing shared by every app: pagination and the one error mapping."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


def decimals_as_strings(value):
    """Money and percentages leave the API as decimal strings ("62.00"), never floats, also
    from the hand-built summaries that do not pass through a serializer."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: decimals_as_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decimals_as_strings(v) for v in value]
    return value


def domain_error_response(exc: DomainError) -> Response:
    body = {"code": exc.code, "detail": exc.detail}
    if exc.errors:
        body["errors"] = exc.errors
    return Response(body, status=exc.status)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                ("non_field_errors" if k == NON_FIELD_ERRORS else k): [
                    m for e in v for m in e.messages
                ]
                for k, v in exc.error_dict.items()
            }
        else:
            data = {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response(
            {"code": "in_use", "detail": "This record is in use by other records; archive it."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value the database cannot store (too large, too long) that validation missed.
        logger.warning("data error in %s", context["view"].__class__.__name__)
        return Response(
            {"code": "invalid_value", "detail": "A value is out of range or too long."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        # A database constraint caught what validation did not (usually a race).
        # The message may contain row values, so it is not echoed or logged.
        logger.warning("integrity error in %s", context["view"].__class__.__name__)
        return Response(
            {"code": "conflict", "detail": "This conflicts with data saved meanwhile; reload."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
