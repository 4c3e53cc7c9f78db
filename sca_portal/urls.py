from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from billing_codes import api as billing_codes_api
from cases.api import routes as cases_routes
from cases.api.audit import ChangeHistoryView
from negotiations.api import routes as negotiations_routes
from negotiations.api.reports import ReportSummaryView

from . import account, two_factor, views
from .auth import LogoutAllView, LogoutView, ObtainTokenView
from .bench import BaselineView
from .login import ThrottledLoginView


# One API router; each app registers its resources on it.
class Router(DefaultRouter):
    # Object ids in URLs are numbers the database can hold; anything else is simply not found.
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = r"[0-9]{1,9}"
        return super().get_lookup_regex(viewset, lookup_prefix)


router = Router()
billing_codes_api.register(router)
cases_routes.register(router)
negotiations_routes.register(router)

urlpatterns = [
    *(
        [path("api/v1/bench/baseline/", BaselineView.as_view())]
        if settings.BENCHMARK_ENDPOINTS
        else []
    ),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without a link to one (the debug error pages).
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    # The browser application.
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", ThrottledLoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The second factor: the sign-in step, enrolment, recovery codes (sca_portal.two_factor).
    path("account/two-factor/", two_factor.verify, name="mfa_verify"),
    path("account/two-factor/setup/", two_factor.setup, name="mfa_setup"),
    path("account/two-factor/recovery-codes/", two_factor.recovery_codes, name="mfa_recovery"),
    path("account/two-factor/remove/", two_factor.remove, name="mfa_remove"),
    # The user's own account: API tokens, the second factor, the password (Django's names).
    path("account/security/", account.SecurityView.as_view(), name="account_security"),
    path(
        "account/security/tokens/revoke/",
        account.TokenRevokeView.as_view(),
        name="account_token_revoke",
    ),
    path(
        "account/security/tokens/revoke-all/",
        account.TokensRevokeAllView.as_view(),
        name="account_tokens_revoke_all",
    ),
    path("account/password/", account.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        account.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/password-reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        account.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/done/",
        account.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("practice/", views.PracticeSwitchView.as_view(), name="practice_switch"),
    path("", include("cases.urls")),
    path("", include("negotiations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("api/v1/auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    path("api/v1/audit/changes/", ChangeHistoryView.as_view(), name="audit-changes"),
    path(
        "api/v1/reports/summary/",
        ReportSummaryView.as_view(),
        name="report-summary",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger's start-up script as a file, so the CSP needs no inline JS.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# A database locked or unreachable outside a view (a middleware's query) is a 503, not a 500.
handler500 = "sca_portal.views.server_error"
