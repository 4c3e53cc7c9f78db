"""The task list page (``/tasks/``): the practice's open tasks by due date, "My tasks" or the
whole practice's, one kind or all; each with Done and Snooze (a date) as plain forms that
post, then come back with a message. A refused snooze comes back in place (400): the list,
the error beside that row's date and the date as typed. The member's daily digest switch is
on the same page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from cases.selectors.tenancy import digest_enabled
from cases.web import PracticeMixin
from core.access import phi_read_cases
from core.auth import signed_in_user
from core.refusals import REFUSALS, error_messages, flash_refusal, refusal_status

from ..forms.worklist import TaskDigestForm, TaskFilterForm, TaskSnoozeForm
from ..selectors.worklist import KINDS, PRACTICE, TASK_LIMIT, VIEWS, open_tasks
from ..services.worklist import task_digest_set, task_done, task_snooze

TEMPLATE = "negotiations/tasks.html"


def _initials(case: Any) -> str:
    client = case.client
    return f"{client.first_name[:1]}{client.last_name[:1]}".upper()


def _list_url(view: str, kind: str) -> str:
    query = QueryDict(mutable=True)
    query["view"] = view
    if kind:
        query["kind"] = kind
    return f"{reverse('negotiations:tasks')}?{query.urlencode()}"


class TaskPage(PracticeMixin):
    """What the list and its forms share: the switches (from the query, or the form's hidden
    fields on a POST) and the page itself."""

    role_action = "case"  # every member: tasks are everyone's work

    def switches(self, data: QueryDict) -> tuple[str, str]:
        return TaskFilterForm(data).choice()

    def page(
        self, request: HttpRequest, view: str, kind: str, *, refused: dict | None = None
    ) -> HttpResponse:
        user = signed_in_user(request)
        now = timezone.now()
        today = timezone.localdate(now)
        tasks = open_tasks(
            [self.practice_id],
            mine=None if view == PRACTICE else user,
            kinds=[kind] if kind else None,
            now=now,
            limit=TASK_LIMIT,
        )
        more, tasks = len(tasks) > TASK_LIMIT, tasks[:TASK_LIMIT]
        # Each row shows its case's client by initials: a read of those cases.
        phi_read_cases(request, {task.case.pk: task.case for task in tasks}.values())
        rows = [
            {
                "task": task,
                "overdue": task.overdue(today),
                "initials": _initials(task.case),
                "refused": refused if refused and refused["key"] == task.key else None,
            }
            for task in tasks
        ]
        context = {
            "nav_section": "tasks",
            "rows": rows,
            "more": more,
            "limit": TASK_LIMIT,
            "today": today,
            "view": view,
            "kind": kind,
            "views": [(value, label, _list_url(value, kind)) for value, label in VIEWS.items()],
            "kinds": KINDS,
            "filter_form": TaskFilterForm(initial={"view": view, "kind": kind}),
            "digest_on": digest_enabled(user, self.practice_id),
            "refused": refused,
        }
        return render(request, TEMPLATE, context, status=400 if refused else 200)


class TaskListView(TaskPage, View):
    def get(self, request, *args, **kwargs):
        view, kind = self.switches(request.GET)
        return self.page(request, view, kind)


class TaskDoneView(TaskPage, View):
    def post(self, request, key):
        view, kind = self.switches(request.POST)
        try:
            task_done(actor=signed_in_user(request), key=key)
        except REFUSALS as exc:
            if refusal_status(exc) == 404:
                raise Http404("No such task.") from None
            flash_refusal(request, exc)
        else:
            messages.success(request, "Task marked done.")
        return redirect(_list_url(view, kind))


class TaskSnoozeView(TaskPage, View):
    def post(self, request, key):
        view, kind = self.switches(request.POST)
        form = TaskSnoozeForm(request.POST)
        typed = request.POST.get("until", "")
        try:
            if not form.is_valid():
                errors = [str(e) for errs in form.errors.values() for e in errs]
                return self.page(
                    request, view, kind, refused={"key": key, "until": typed, "errors": errors}
                )
            until = form.cleaned_data["until"]
            task_snooze(actor=signed_in_user(request), key=key, until=until)
        except REFUSALS as exc:
            if refusal_status(exc) == 404:
                raise Http404("No such task.") from None
            errors = [e for errs in error_messages(exc).values() for e in errs]
            return self.page(
                request, view, kind, refused={"key": key, "until": typed, "errors": errors}
            )
        messages.success(request, f"Task snoozed until {until:%b %-d, %Y}.")
        return redirect(_list_url(view, kind))


class TaskDigestView(TaskPage, View):
    def post(self, request):
        view, kind = self.switches(request.POST)
        form = TaskDigestForm(request.POST)
        on = form.is_valid() and form.cleaned_data["on"]
        task_digest_set(actor=signed_in_user(request), practice_id=self.practice_id, on=on)
        if on:
            messages.success(request, "The daily task email is on: it comes at 7:00.")
        else:
            messages.success(request, "The daily task email is off.")
        return redirect(_list_url(view, kind))


urlpatterns: list[URLPattern] = [
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("tasks/digest/", TaskDigestView.as_view(), name="task_digest"),
    path("tasks/<str:key>/done/", TaskDoneView.as_view(), name="task_done"),
    path("tasks/<str:key>/snooze/", TaskSnoozeView.as_view(), name="task_snooze"),
]
