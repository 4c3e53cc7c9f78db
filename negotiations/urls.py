"""The browser UI of the negotiations app (namespace ``negotiations``)."""

from .views import desk, fee_schedule

app_name = "negotiations"
urlpatterns = [
    *desk.urlpatterns,
    *fee_schedule.urlpatterns,
]
