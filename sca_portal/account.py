"""The signed-in user's own account: the security page (API tokens, the second factor's
section) and the password pages, Django's views with our templates.

A new password, changed or reset, also ends the user's API tokens: Django ends the user's
other browser sessions then (the session hash), and a token got with the old password should
not outlive it either.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.cache import patch_cache_control
from django.views import View
from django.views.generic import TemplateView

from core.auth import signed_in_user

from .tokens import token_revoke, tokens_of, tokens_revoke_all

SHOWN_KEY_CHARS = 8  # of the key's first characters knox keeps: enough to recognise it


class NoStoreMixin(View):
    """Account pages never stay in the browser's cache (the Back button after signing out)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response


class SecurityView(LoginRequiredMixin, NoStoreMixin, TemplateView):
    template_name = "account/security.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tokens = [
            {
                "digest": token.digest,
                "shown_key": token.token_key[:SHOWN_KEY_CHARS],
                "created": token.created,
                "expiry": token.expiry,
            }
            for token in tokens_of(signed_in_user(self.request))
        ]
        return super().get_context_data(**kwargs) | {
            "tokens": tokens,
            "ttl_hours": settings.TOKEN_TTL_HOURS,
            "nav_section": "security",
        }


class TokenRevokeView(LoginRequiredMixin, View):
    """POST token=<digest>: ends one of the user's own tokens; any other is not found."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if not token_revoke(user=signed_in_user(request), digest=request.POST.get("token", "")):
            raise Http404("No such token.")
        messages.success(request, "The token was revoked. Scripts using it are now refused.")
        return redirect("account_security")


class TokensRevokeAllView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        n = tokens_revoke_all(user=signed_in_user(request))
        messages.success(request, f"{n} token{'' if n == 1 else 's'} revoked.")
        return redirect("account_security")


class PlainHelpText(forms.Form):
    """Django gives the new password's rules as an HTML list; our fields show help as one
    paragraph (also the field's accessible description), so the rules become sentences."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(password_validators_help_texts())


class PasswordChangeForm(PlainHelpText, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(PlainHelpText, auth_forms.SetPasswordForm):
    pass


class PasswordChangeView(NoStoreMixin, auth_views.PasswordChangeView):
    template_name = "account/password_change.html"
    form_class = PasswordChangeForm

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        tokens_revoke_all(user=form.user)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"nav_section": "security"}


class PasswordChangeDoneView(NoStoreMixin, auth_views.PasswordChangeDoneView):
    template_name = "account/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the reset link, and only that: no name, nothing of a case (the email leaves
    our hands). The answer is the same whether the address is known or not."""

    template_name = "account/password_reset.html"
    email_template_name = "account/password_reset_email.txt"
    subject_template_name = "account/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "account/password_reset_done.html"


class PasswordResetConfirmView(NoStoreMixin, auth_views.PasswordResetConfirmView):
    template_name = "account/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: auth_forms.SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        tokens_revoke_all(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "account/password_reset_complete.html"
