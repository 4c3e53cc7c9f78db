"""Navigation context for every browser page: practices for the switcher, the current
practice and role, and the unread notification count of the current practice. At most one
query (the count): the practices come with the user's roles, and the count is read only when
the template shows it and the view did not already give it (the dashboard does)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from cases.permissions import can, user_practice_names, user_roles
from cases.web import current_practice_id


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/api/", "/admin/")):
        return {}
    htmx = getattr(request, "htmx", None)
    # A fragment has no navigation to draw; but a boosted request and a history restore (Back
    # to a page htmx changed) are whole pages, header included: without this they lost the
    # practice, role and unread count.
    if htmx and not (htmx.boosted or htmx.history_restore_request):
        return {}
    # None without a role in an active practice (the roles are read once per request).
    practice_id = current_practice_id(request)
    if practice_id is None:
        return {"nav_practices": [], "nav_practice": None, "nav_role": None}
    roles = user_roles(user)
    names = user_practice_names(user)
    practices = [{"pk": pk, "name": name}
                 for pk, name in sorted(names.items(), key=lambda item: item[1])]  # fmt: skip
    current = next((p for p in practices if p["pk"] == practice_id), None)
    role = roles.get(practice_id)
    from negotiations.models import Notification

    return {
        "nav_practices": practices,
        "nav_practice": current,
        "nav_role": role,
        "nav_is_billing": can(user, practice_id, "reports"),
        "nav_is_admin": can(user, practice_id, "practice"),
        # A callable: the template calls it only if the view's context has no nav_unread, and
        # once however often the template asks (cache).
        "nav_unread": cache(
            Notification.objects.filter(
                user=user, read_at__isnull=True, case__practice_id=practice_id
            ).count
        ),
    }
