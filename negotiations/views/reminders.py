"""Marking a notification read (from the dashboard)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from cases.web import PracticeMixin
from core.refusals import REFUSALS, flash_refusal

from ..models.reminders import Notification
from ..services.reminders import notification_mark_read


class NotificationReadView(PracticeMixin, View):
    def post(self, request, pk):
        try:
            notification_mark_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise Http404("No such notification.") from None
        except REFUSALS as exc:
            flash_refusal(request, exc)
        return redirect(reverse("dashboard") + "#notifications")
