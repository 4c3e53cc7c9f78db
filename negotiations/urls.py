"""The browser UI of the negotiations app (namespace ``negotiations``)."""

from django.urls import path

from cases import converters  # noqa: F401  (registers the "id" converter)

from .views import client_page, worklist
from .views.agreements import DeskAcceptView, DeskApproveView
from .views.contacts import DeskContactView
from .views.fee_schedule import FeeScheduleView, PracticeRateDeleteView, PracticeRateEditView
from .views.offers import DeskCounterView, DeskDeclineView, DeskOfferView
from .views.reminders import NotificationReadView
from .views.utilization import DeskUtilizationView

# The negotiation desk: one POST endpoint per step (views.common.STEP_ACTIONS).
DESK_VIEWS = [
    DeskOfferView,
    DeskCounterView,
    DeskAcceptView,
    DeskApproveView,
    DeskDeclineView,
    DeskContactView,
    DeskUtilizationView,
]

app_name = "negotiations"
urlpatterns = [
    *(
        path(f"cases/<id:pk>/negotiation/{view.step}/", view.as_view(), name=f"desk_{view.step}")
        for view in DESK_VIEWS
    ),
    path("notifications/<id:pk>/read/", NotificationReadView.as_view(), name="notification_read"),
    path("fee-schedule/", FeeScheduleView.as_view(), name="fee_schedule"),
    path("fee-schedule/<id:pk>/edit/", PracticeRateEditView.as_view(), name="practicerate_edit"),
    path(
        "fee-schedule/<id:pk>/delete/",
        PracticeRateDeleteView.as_view(),
        name="practicerate_delete",
    ),
    *worklist.urlpatterns,
    *client_page.urlpatterns,
]
