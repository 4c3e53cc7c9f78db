"""The browser UI of the negotiations app (namespace ``negotiations``)."""


from cases.urls import register_converter  # noqa: F401  (the "id" converter is registered there)

from .views import desk, fee_schedule

app_name = "negotiations"
urlpatterns = [
    *desk.urlpatterns,
    *fee_schedule.urlpatterns,
]
