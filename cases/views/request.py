"""The guided SCA request: a draft saved at every step."""

from __future__ import annotations

from django.views import View

from cases.web import PracticeMixin


class RequestStartView(PracticeMixin, View):
    pass


class RequestStepView(PracticeMixin, View):
    pass
