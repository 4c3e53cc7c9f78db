"""The browser UI of the cases app (namespace ``cases``)."""

from django.urls import path

from . import converters  # noqa: F401  (registers the "id" converter)
from .views import (
    appeals,
    attachments,
    audit,
    client_import,
    documents,
    parts,
    people,
    reference,
    renewal,
)
from .views import case as case_views
from .views import request as request_views

app_name = "cases"
urlpatterns = [
    path("cases/", case_views.CaseListView.as_view(), name="list"),
    path("cases/export.csv", case_views.CaseExportView.as_view(), name="export"),
    path("cases/new/", request_views.RequestStartView.as_view(), name="request_start"),
    path(
        "cases/<id:pk>/request/<slug:step>/",
        request_views.RequestStepView.as_view(),
        name="request_step",
    ),
    path("cases/<id:pk>/", case_views.CaseWorkspaceView.as_view(), name="detail"),
    path("cases/<id:pk>/edit/", case_views.CaseTrackingView.as_view(), name="tracking"),
    path("cases/<id:pk>/do/<slug:action>/", case_views.CaseActionView.as_view(), name="action"),
    path("cases/<id:pk>/renew/", renewal.RenewalConfirmView.as_view(), name="renew_confirm"),
    path(
        "cases/<id:pk>/submissions/",
        case_views.SubmissionCreateView.as_view(),
        name="submission_create",
    ),
    path(
        "cases/<id:pk>/documents/",
        documents.DocumentCreateView.as_view(),
        name="document_create",
    ),
    path(
        "documents/<id:pk>/status/",
        documents.DocumentStatusView.as_view(),
        name="document_status",
    ),
    path(
        "documents/<id:pk>/download/",
        documents.DocumentDownloadView.as_view(),
        name="document_download",
    ),
    path(
        "consents/<id:pk>/download/",
        parts.ConsentDownloadView.as_view(),
        name="consent_download",
    ),
    *appeals.urlpatterns,
    *attachments.urlpatterns,
    *people.urlpatterns,
    *client_import.urlpatterns,
    *reference.urlpatterns,
    *audit.urlpatterns,
]
