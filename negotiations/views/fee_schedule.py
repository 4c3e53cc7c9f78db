"""The practice fee schedule page (billing)."""

urlpatterns: list = []
