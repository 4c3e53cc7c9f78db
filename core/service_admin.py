"""Django admin bases for records the services write (DESIGN.md section 3, house rule 3): an
admin either saves through the service the API and the pages call, or shows the record
read-only. Every app's admin builds on these."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from .access import phi_read
from .refusals import REFUSALS, add_errors, flash_refusal


class LogsAdminReads:
    """An operator's reads of patient data in the admin, written to the access log like any
    other read (with no practice: operators act outside the practices). The list logs the
    rows of its page, the change page its record. ``phi_pair`` says which (client, case)."""

    def phi_pair(self, obj: Any) -> tuple[int | None, int | None]:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]  # a mixin before ModelAdmin
        changelist = getattr(response, "context_data", None) or {}
        if "cl" in changelist:
            rows = changelist["cl"].result_list
            phi_read(request, practice_id=None, pairs=[self.phi_pair(o) for o in rows])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]  # as above
        original = (getattr(response, "context_data", None) or {}).get("original")
        if original is not None:
            phi_read(request, practice_id=None, pairs=[self.phi_pair(original)])
        return response


class CaseRecordReads(LogsAdminReads):
    """A record of a case (its consent, its timeline, a contact): a read of that case."""

    def phi_pair(self, obj: Any) -> tuple[int | None, int | None]:
        return None, obj.case_id


class ReadOnlyAdminMixin:
    """Support views of what only a service may write (a practice's own reference data, a
    case and what hangs off it, negotiations): the application and the API call the service;
    operators read it here. For admins and inlines alike."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's "revert" form saves a POST without asking for the change
        # permission: only reading a past version is allowed here.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class Refused(Exception):
    """A service refused the admin's write; carries the refusal to the view that shows it."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def service_data(form: forms.BaseForm, fields: list[str]) -> dict[str, Any]:
    """The form's values for the fields the service accepts. Every field, not only the changed
    ones: the service works out what changed, and a reverted version (simple-history) differs
    from the current row without differing from its own form."""
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


class RefusableForm(forms.ModelForm):
    """The admin's form; for a POST a service refused, the refusal is its error (on the field
    it names when the form has it, as on the application's pages)."""

    refusal: Exception | None = None

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if self.refusal is not None:
            add_errors(self, self.refusal)
        return cleaned_data


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose writes go through the service the API and the pages call.

    A subclass implements ``save_through_service`` (it returns the saved object) and, only
    when a delete or archive service exists, ``delete_through_service`` with
    ``deletes_through_service = True``; otherwise deleting is not permitted. A refusal
    (DomainError, ValidationError, ...) shows on the form, never as a server error: the view's
    transaction rolls the write back and the same POST is shown again with the refusal on it.
    """

    form = RefusableForm
    deletes_through_service = False

    def save_through_service(self, request, obj, form, change):
        raise NotImplementedError

    def delete_through_service(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            saved = self.save_through_service(request, obj, form, change)
        except REFUSALS as exc:
            raise Refused(exc) from exc
        # The admin logs the change and redirects with the form's instance: give it the row's key.
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(request, obj)
        except REFUSALS as exc:
            raise Refused(exc) from exc

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletes_through_service and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # One at a time, so that a refusal shows on the object's own page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._showing_refusal(
            super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            flash_refusal(request, refused.error)
            return HttpResponseRedirect(request.get_full_path())

    def _showing_refusal(self, view, request, *args):
        try:
            return view(request, *args)
        except Refused as refused:
            # The view's transaction rolled the write back. Answer the same POST again: the form
            # built for it now carries the refusal (get_form), so it is invalid and shown with
            # the user's input, and nothing is saved.
            request._service_refusal = refused.error
            return view(request, *args)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class
        return type(form_class.__name__, (form_class,), {"refusal": refusal})


class ServiceHistoryAdmin(ServiceAdmin, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's revert form saves through save_model too.
        return self._showing_refusal(
            super().history_form_view, request, object_id, version_id, extra_context
        )
