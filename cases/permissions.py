"""Role predicates, shared by the API and the browser views, and the DRF classes built on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from .models import TRANSITIONS, Case, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from rest_framework.request import Request
    from rest_framework.views import APIView

ROLE_RANK: dict[str, int] = {Role.STAFF: 1, Role.BILLING: 2, Role.ADMIN: 3}

# Where user_roles keeps its per-request cache on the user object (not model fields).
_ROLES_ATTR = "_sca_roles"
_NAMES_ATTR = "_sca_practice_names"


def user_roles(user: User | AnonymousUser | None) -> dict[int, str]:
    """{practice_id: role} for the user, loaded once per user object (i.e. per request)."""
    if not user or not user.is_authenticated:
        return {}
    cached: dict[int, str] | None = getattr(user, _ROLES_ATTR, None)
    if cached is None:
        # order_by(): Membership's default ordering would join auth_user for nothing.
        rows = list(
            Membership.objects.filter(user=user, practice__is_active=True)
            .order_by()
            .values_list("practice_id", "role", "practice__name")
        )
        cached = {practice_id: role for practice_id, role, _name in rows}
        setattr(user, _ROLES_ATTR, cached)
        # The same query names the practices, for the navigation's switcher.
        setattr(user, _NAMES_ATTR, {practice_id: name for practice_id, _role, name in rows})
    return cached


def user_practice_names(user: User | AnonymousUser | None) -> dict[int, str]:
    """{practice_id: name} of the user's practices, from the same query as ``user_roles``."""
    user_roles(user)
    names: dict[int, str] = getattr(user, _NAMES_ATTR, {})
    return names


def role_in(user: User | AnonymousUser | None, practice_id: int) -> str | None:
    return user_roles(user).get(practice_id)


def has_role(user: User | AnonymousUser | None, practice_id: int, minimum: str) -> bool:
    role = role_in(user, practice_id)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def is_operator(
    user: User | AnonymousUser | None, perm: str | None = "cases.change_insurer"
) -> bool:
    """The people who run the site: Django staff holding the model permission ``perm``. They
    maintain the insurer directory and the billing-code catalog, which every practice reads
    and no practice's member changes, its administrators included."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (perm is None or user.has_perm(perm))
    )


# The one role table: the least role each action needs in the practice that owns the data.
# Lifecycle actions carry TRANSITIONS' names (the case's status decides the rest); the others
# name an area's writes. ViewSets (``role_action``), browser views (``role_action``), the
# templates (``allowed_actions``) and the navigation (``nav_can``) all read it.
ACTION_ROLES: dict[str, str] = {
    # the case's lifecycle
    "submit": Role.STAFF,
    "deny": Role.STAFF,
    "withdraw": Role.STAFF,
    "renew": Role.STAFF,
    "receive_offer": Role.BILLING,
    "approve": Role.BILLING,
    "accept": Role.BILLING,
    "decline": Role.BILLING,
    "appeal": Role.BILLING,  # file a level of appeal, and decide it (uphold)
    "uphold": Role.BILLING,
    # writes and pages by area
    "people": Role.STAFF,  # clients, providers, the client import
    "case": Role.STAFF,  # drafts, tracking, searches, services, consents, documents
    "contacts": Role.STAFF,  # the insurer contact log
    "utilization": Role.STAFF,  # units used against an agreement
    "offers": Role.BILLING,  # offers and counters
    "fee_schedule": Role.BILLING,  # the practice's usual rates and floors
    "reports": Role.BILLING,  # the board, reports, the fee schedule pages
    "reference": Role.ADMIN,  # the practice's rate policies and insurer contacts
    "practice": Role.ADMIN,  # the practice's own settings
}


def role_for(action: str) -> str:
    """The least role ``action`` needs; an action missing from the table is a programming
    error, not a default."""
    return ACTION_ROLES[action]


def roles_for(action: str) -> list[str]:
    """Every practice role that may do ``action``: its least role and the ones above it."""
    least = ROLE_RANK[role_for(action)]
    return [role for role, rank in ROLE_RANK.items() if rank >= least]


def can(user: User | AnonymousUser | None, practice_id: int, action: str) -> bool:
    """The user's role in the practice suffices for ``action`` (a key of ACTION_ROLES)."""
    return has_role(user, practice_id, role_for(action))


def practice_ids_where(user: User | AnonymousUser | None, action: str) -> list[int]:
    """The user's practices in which they may do ``action``."""
    return [pid for pid in user_roles(user) if can(user, pid, action)]


def allowed_actions(case: Case, user: User | AnonymousUser | None) -> list[str]:
    """What this user may do to this case now: its status allows it and their role suffices."""
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if case.status in sources and action in ACTION_ROLES and can(user, case.practice_id, action)
    ]


class ReferenceDataPermission(DjangoModelPermissions):
    """The directory and the catalog: every signed-in user reads; operators (``is_operator``)
    with the model's permission write. DELETE archives, so it needs the change permission."""

    message = (
        "The insurer directory and the billing-code catalog are maintained by the site's "
        "operators; practices keep their own rate policies and insurer contacts."
    )
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "DELETE": ["%(app_label)s.change_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        return is_operator(request.user, perm=None) and super().has_permission(request, view)


def practice_id_of(obj: Any) -> int:
    """The practice of a practice's object or of a case's part (any model: DRF hands the
    permission whatever the view's queryset holds)."""
    if hasattr(obj, "practice_id"):
        return obj.practice_id
    return obj.case.practice_id


class PracticeRolePermission(BasePermission):
    """Objects are already scoped to the user's practices by the selectors (404 otherwise);
    this checks the role the user holds in the object's practice. ``view.role_action``
    (an ACTION_ROLES key, or a dict per DRF action) says what is needed; reads need
    membership only."""

    message = "Your role in this practice does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        practice_id = practice_id_of(obj)
        if request.method in SAFE_METHODS:
            return role_in(request.user, practice_id) is not None
        return has_role(request.user, practice_id, required_role(view))


def required_role(view: APIView) -> str:
    # A dict is keyed by the ViewSet's action (None outside a ViewSet's routes).
    action: str | dict[str | None, str] = getattr(view, "role_action", "case")
    if isinstance(action, dict):
        action = action.get(getattr(view, "action", None), action["default"])
    return role_for(action)
