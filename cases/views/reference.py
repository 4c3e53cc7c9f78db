"""Insurer pages, rate policies and their rates and history (issue 6, item 6)."""

urlpatterns: list = []
