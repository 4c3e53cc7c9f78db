"""Clients and providers pages, and the CSV import (issue 6, item 6)."""

urlpatterns: list = []
