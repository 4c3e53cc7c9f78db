"""A service's refusal shown to a person: on the form field it names, at the top of the form,
or as messages on the next page (DESIGN.md section 3, house rule 2). The pages of every app and
the Django admin share these; the API maps the same exceptions in ``core.api``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse

from .exceptions import DomainError


def error_messages(exc: Exception) -> dict[str, list[str]]:
    """{field or "__all__": [messages]} for a refusal from a service or the database."""
    if isinstance(exc, DomainError):
        if exc.errors:
            return {NON_FIELD_ERRORS: [e.get("detail", exc.detail) for e in exc.errors]}
        return {NON_FIELD_ERRORS: [exc.detail]}
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        return {NON_FIELD_ERRORS: exc.messages}
    if isinstance(exc, ProtectedError):
        return {NON_FIELD_ERRORS: ["This record is in use by other records; archive it instead."]}
    if isinstance(exc, DataError):
        return {NON_FIELD_ERRORS: ["A value is out of range or too long."]}
    if isinstance(exc, IntegrityError):
        return {NON_FIELD_ERRORS: ["This conflicts with data saved meanwhile; reload the page."]}
    raise exc


REFUSALS = (DomainError, ValidationError, ProtectedError, DataError, IntegrityError)


def add_errors(form: forms.BaseForm, exc: Exception) -> None:
    """Put a service's refusal on the form: on the field it names when the form has it,
    otherwise at the top of the form."""
    for name, messages in error_messages(exc).items():
        field = name if name in form.fields else None
        for message in messages:
            prefix = "" if field or name == NON_FIELD_ERRORS else f"{name.replace('_', ' ')}: "
            form.add_error(field, prefix + message)


def error_summary(*forms: forms.BaseForm) -> list[dict[str, str]]:
    """A refused form's summary at its top (templates/includes/error_summary.html): every
    error of ``forms`` in order, the refusals that name no field first, each field's with the
    id of its input (the summary links to it) and its label. Empty for unbound forms."""
    general: list[dict[str, str]] = []
    named: list[dict[str, str]] = []
    for form in forms:
        if not form.is_bound:
            continue
        for name, messages in form.errors.items():
            if name in form.fields:
                field = form[name]
                target, entry = named, {"id": field.id_for_label, "label": str(field.label)}
            else:
                target, entry = general, {"id": "", "label": ""}
            target.extend({**entry, "message": str(message)} for message in messages)
    return general + named


def refusal_status(exc: Exception) -> int:
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, ProtectedError | IntegrityError):
        return 409
    return 400


def flash_refusal(request: HttpRequest, exc: Exception) -> None:
    """A refusal as messages on the next page, each naming its field when there is one."""
    from django.contrib import messages

    for name, errs in error_messages(exc).items():
        for message in errs:
            label = "" if name == NON_FIELD_ERRORS else f"{name.replace('_', ' ').capitalize()}: "
            messages.error(request, label + message)


def plain_refusal(
    request: HttpRequest, status: int, code: str, detail: str, *, retry_after: int | None = None
) -> HttpResponse:
    """A refusal built without templates or the database (it may be answering for either):
    ``{"code", "detail"}`` JSON under /api/, plain text on the pages; never cached; with
    ``Retry-After`` when the same request may simply be sent again. The 503s of an unloggable
    read, a busy database and unreachable storage, and the 404 of a missing file."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": code, "detail": detail}, status=status)
    else:
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
