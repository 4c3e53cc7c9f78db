"""Clients and providers pages (the CSV import of clients: views/client_import.py).

A client's name is PHI, so it never goes in a URL: the list's search is a POST that renders
the filtered list."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views import View
from django.views.generic import TemplateView

from cases.forms.people import (
    ClientForm,
    PeopleSearchForm,
    ProviderForm,
)
from cases.models import Client, Practice, Provider
from cases.selectors.people import clients_visible_to, providers_visible_to
from cases.services.people import (
    client_create,
    client_update,
    provider_create,
    provider_update,
)
from cases.web import PracticeMixin
from core.access import phi_read, phi_read_clients
from core.auth import signed_in_user
from core.exceptions import DomainError
from core.refusals import REFUSALS, add_errors, flash_refusal

PAGE_SIZE = 25
PREVIEW_ROWS = 100  # rows shown in the preview table; every row is checked
PREVIEW_ERRORS = 200  # error lines shown; the count says how many more
IMPORT_SALT = "cases.client_import"
IMPORT_MAX_AGE = 60 * 60


# ----------------------------------------------------------------------------- lists


class PeopleListView(PracticeMixin, TemplateView):
    """The current practice's records, 25 a page. GET takes only ``page`` and ``archived``;
    a name search is POSTed to the same URL and pages by posting the form again."""

    http_method_names = ["get", "post"]
    selector: ClassVar[Callable[[User], QuerySet[Client] | QuerySet[Provider]]]
    nav_section: str
    name_fields: tuple[str, ...] = ()
    logs_reads = False

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        form = PeopleSearchForm(data)
        filters = form.cleaned_data if form.is_valid() else {}
        q = filters.get("q", "") if self.request.method == "POST" else ""
        archived = bool(filters.get("archived"))
        objects = type(self).selector(signed_in_user(self.request))
        objects = objects.filter(practice_id=self.practice_id)
        if not archived:
            objects = objects.filter(is_active=True)
        for term in q.split():
            match = Q()
            for name in self.name_fields:
                match |= Q(**{f"{name}__icontains": term})
            objects = objects.filter(match)
        page = Paginator(objects, PAGE_SIZE).get_page(filters.get("page") or 1)
        if self.logs_reads:  # clients are patients; providers are the practice's staff
            # A search is logged even when it found nobody (with no subjects).
            phi_read(self.request, practice_id=self.practice_id, action="search" if q else "read")
            phi_read_clients(self.request, page.object_list)
        return {
            **super().get_context_data(**kwargs),
            "nav_section": self.nav_section,
            "search_form": form,
            "page_obj": page,
            "q": q,
            "archived": archived,
        }


class ClientListView(PeopleListView):
    template_name = "cases/client_list.html"
    nav_section = "clients"
    selector = clients_visible_to
    name_fields = ("first_name", "last_name", "member_id")
    logs_reads = True


class ProviderListView(PeopleListView):
    template_name = "cases/provider_list.html"
    nav_section = "providers"
    selector = providers_visible_to
    name_fields = ("first_name", "last_name", "npi")


# ----------------------------------------------------------------------------- create / edit


class PeopleFormView(PracticeMixin, View):
    """Create (no pk) or edit (pk, looked up through the selector: another practice's record
    is a 404) one client or provider through the services."""

    role_action = "people"
    model: type[Client] | type[Provider]
    form_class: type[ClientForm] | type[ProviderForm]
    template_name = ""
    nav_section = ""
    noun = ""
    list_url: str

    if TYPE_CHECKING:  # each page's own selector, services and message (static methods)

        def lookup(self, user: User) -> QuerySet[Client] | QuerySet[Provider]: ...
        def create(
            self, *, actor: User, practice: Practice, data: Any, confirm_duplicate: bool
        ) -> Client | Provider: ...
        def update(self, obj: Any, *, actor: User, data: Any) -> Client | Provider: ...
        def saved_message(self, obj: Any, created: bool) -> str: ...

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        try:
            obj = self.lookup(signed_in_user(self.request)).get(pk=self.kwargs["pk"])
        except self.model.DoesNotExist:
            raise Http404(f"No such {self.noun}.") from None
        self.require(obj.practice_id, self.role_action)
        return obj

    def render_form(self, form, obj, status=200, **extra):
        context = {"form": form, "object": obj, "nav_section": self.nav_section, **extra}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk=None):
        obj = self.get_object()
        self.viewed(obj)
        return self.render_form(self.form_class(instance=obj), obj)

    def post(self, request, pk=None):
        obj = self.get_object()
        # The form writes the posted values onto its instance; the page heading keeps the saved.
        form = self.form_class(request.POST, instance=copy.copy(obj))
        extra: dict[str, object] = {}
        status = 400
        if form.is_valid():
            actor = signed_in_user(request)
            try:
                if obj is None:
                    practice = Practice.objects.get(pk=self.practice_id)
                    saved = self.create(
                        actor=actor,
                        practice=practice,
                        data=form.service_data(),
                        confirm_duplicate=bool(form.cleaned_data.get("confirm_duplicate")),
                    )
                else:
                    saved = self.update(obj, actor=actor, data=form.service_data())
            except REFUSALS as exc:
                add_errors(form, exc)
                extra = self.refusal_context(exc)
                status = getattr(exc, "status", 400)  # a duplicate is a conflict: 409
            else:
                messages.success(request, self.saved_message(saved, created=obj is None))
                return redirect(self.list_url)
        self.viewed(obj)  # the refused form shows the saved record again
        return self.render_form(form, obj, status=status, **extra)

    def refusal_context(self, exc: Exception) -> dict[str, object]:
        return {}

    def viewed(self, obj) -> None:
        pass


class ClientFormView(PeopleFormView):
    model = Client
    form_class = ClientForm
    template_name = "cases/client_form.html"
    nav_section = "clients"
    noun = "client"
    list_url = "cases:client_list"

    @staticmethod
    def lookup(user):
        return clients_visible_to(user)

    def viewed(self, obj) -> None:
        if obj is not None:
            phi_read_clients(self.request, [obj], action="view_client")

    @staticmethod
    def create(**kwargs):
        return client_create(**kwargs)

    @staticmethod
    def update(obj, **kwargs):
        return client_update(client=obj, **kwargs)

    def refusal_context(self, exc: Exception) -> dict[str, object]:
        """409 ``duplicate_client``: the page names the existing client (id and initials, in
        the refusal's words), links to it and offers "Create anyway"."""
        if not (isinstance(exc, DomainError) and exc.code == "duplicate_client"):
            return {}
        existing = exc.extra["existing_client"]
        try:  # the client page (negotiations), when the project has it
            url = reverse("negotiations:client_page", args=[existing])
        except NoReverseMatch:
            url = reverse("cases:client_edit", args=[existing])
        return {"duplicate": {"id": existing, "url": url}}

    @staticmethod
    def saved_message(obj, created):
        # No name: patient names stay out of flash messages (like logs and URLs).
        return "Client added." if created else "Client saved."


class ProviderFormView(PeopleFormView):
    model = Provider
    form_class = ProviderForm
    template_name = "cases/provider_form.html"
    nav_section = "providers"
    noun = "provider"
    list_url = "cases:provider_list"

    @staticmethod
    def lookup(user):
        return providers_visible_to(user)

    @staticmethod
    def create(*, confirm_duplicate: bool = False, **kwargs):
        return provider_create(**kwargs)  # providers: the (practice, npi) rule is the model's

    @staticmethod
    def update(obj, **kwargs):
        return provider_update(provider=obj, **kwargs)

    @staticmethod
    def saved_message(obj, created):
        return f"Provider {obj.full_name} {'added' if created else 'saved'}."


class ArchiveMixin(PeopleFormView):
    """POST only: archive (the services' ``is_active=False``), then back to the list."""

    http_method_names = ["post"]
    edit_url = ""

    def archived_message(self, obj: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.get_object()
        try:
            self.update(obj, actor=signed_in_user(request), data={"is_active": False})
        except REFUSALS as exc:
            flash_refusal(request, exc)
            return redirect(self.edit_url, pk=obj.pk)
        messages.success(request, self.archived_message(obj))
        return redirect(self.list_url)


class ClientArchiveView(ArchiveMixin, ClientFormView):
    edit_url = "cases:client_edit"

    def archived_message(self, obj) -> str:
        return "Client archived. Tick “Include archived” to see it."  # no name: PHI


class ProviderArchiveView(ArchiveMixin, ProviderFormView):
    edit_url = "cases:provider_edit"

    def archived_message(self, obj) -> str:
        return f"Provider {obj.full_name} archived."


urlpatterns = [
    path("clients/", ClientListView.as_view(), name="client_list"),
    path("clients/new/", ClientFormView.as_view(), name="client_create"),
    path("clients/<id:pk>/edit/", ClientFormView.as_view(), name="client_edit"),
    path("clients/<id:pk>/archive/", ClientArchiveView.as_view(), name="client_archive"),
    path("providers/", ProviderListView.as_view(), name="provider_list"),
    path("providers/new/", ProviderFormView.as_view(), name="provider_create"),
    path("providers/<id:pk>/edit/", ProviderFormView.as_view(), name="provider_edit"),
    path("providers/<id:pk>/archive/", ProviderArchiveView.as_view(), name="provider_archive"),
]
