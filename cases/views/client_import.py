"""The CSV import of clients (issue 6, item 6): step 1 uploads and previews, step 2 saves.

A client's name is PHI, so it never goes in a URL: the import keeps the uploaded CSV in the
page (a hidden field signed against tampering), not in the query string or the session table."""

from __future__ import annotations

import csv
import hashlib
import io

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from cases.forms.people import ClientImportConfirmForm, ClientImportForm
from cases.models import Practice
from cases.services.people import (
    COLUMNS,
    EXAMPLE_ROW,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    client_import,
    client_import_preview,
    decode_csv,
    normalize_newlines,
)
from cases.web import PracticeMixin
from core.auth import signed_in_user
from core.refusals import REFUSALS, add_errors

PREVIEW_ROWS = 100  # rows shown in the preview table; every row is checked
PREVIEW_ERRORS = 200  # error lines shown; the count says how many more
IMPORT_SALT = "cases.client_import"
IMPORT_MAX_AGE = 60 * 60


def _token(request, practice_id: int, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return signing.TimestampSigner(salt=IMPORT_SALT).sign(
        f"{request.user.pk}:{practice_id}:{digest}"
    )


def _token_ok(request, practice_id: int, text: str, token: str) -> bool:
    digest = hashlib.sha256(text.encode()).hexdigest()
    try:
        value = signing.TimestampSigner(salt=IMPORT_SALT).unsign(token, max_age=IMPORT_MAX_AGE)
    except signing.BadSignature:
        return False
    return value == f"{request.user.pk}:{practice_id}:{digest}"


class ClientImportView(PracticeMixin, View):
    """Step 1 uploads and previews (every row checked, nothing saved); step 2 posts the
    same text back and saves all rows in one transaction, or none."""

    template_name = "cases/client_import.html"

    def render_page(self, status=200, **context):
        context = {
            "nav_section": "clients",
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
            "max_rows": MAX_ROWS,
            "form": context.pop("form", None) or ClientImportForm(),
            **context,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page()

    def post(self, request):
        if "token" in request.POST:
            return self.confirm(request)
        form = ClientImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(form=form, status=400)
        try:
            text = decode_csv(form.cleaned_data["file"].read())
        except ValidationError as exc:
            return self.refuse(form, exc.messages)
        return self.preview(form, text)

    def refuse(self, form, problems: list[str]):
        """File-level problems: on the file field after an upload, else atop the page."""
        if form.is_bound:
            add_errors(form, ValidationError({"file": problems}))
            return self.render_page(form=form, status=400)
        return self.render_page(form=form, page_errors=problems, status=400)

    def preview(self, form, text, status=200):
        practice = Practice.objects.get(pk=self.practice_id)
        try:
            result = client_import_preview(practice=practice, text=text)
        except ValidationError as exc:
            return self.refuse(form, exc.messages)
        errors = result.errors
        confirm = None
        if not errors:
            confirm = ClientImportConfirmForm(
                initial={"csv_text": text, "token": _token(self.request, practice.pk, text)}
            )
        return self.render_page(
            status=status,
            form=form,
            result=result,
            rows=result.rows[:PREVIEW_ROWS],
            errors=errors[:PREVIEW_ERRORS],
            more_errors=max(0, len(errors) - PREVIEW_ERRORS),
            confirm=confirm,
        )

    def confirm(self, request):
        confirm = ClientImportConfirmForm(request.POST)
        form = ClientImportForm()
        if not confirm.is_valid():
            return self.refuse(form, ["The import form was incomplete; upload the file again."])
        text = normalize_newlines(confirm.cleaned_data["csv_text"])
        if not _token_ok(request, self.practice_id, text, confirm.cleaned_data["token"]):
            return self.refuse(
                form, ["The preview has expired or the file changed; upload the file again."]
            )
        practice = Practice.objects.get(pk=self.practice_id)
        try:
            clients = client_import(actor=signed_in_user(request), practice=practice, text=text)
        except REFUSALS:
            # Something changed since the preview (e.g. a client added meanwhile): show why.
            return self.preview(form, text, status=400)
        messages.success(request, f"Imported {len(clients)} clients.")
        return redirect("cases:client_list")


class ClientImportTemplateView(PracticeMixin, View):
    """An empty spreadsheet with the header and one made-up example row."""

    def get(self, request):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerow(EXAMPLE_ROW)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="clients-template.csv"'
        return response


urlpatterns = [
    path("clients/import/", ClientImportView.as_view(), name="client_import"),
    path(
        "clients/import/template.csv",
        ClientImportTemplateView.as_view(),
        name="client_import_template",
    ),
]
