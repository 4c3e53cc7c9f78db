import django_filters as filters
from rest_framework.filters import SearchFilter

from core.api import MAX_ID

from .models import Case, CaseStatus, RatePolicy
from .permissions import user_roles
from .selectors.case import search_cases
from .selectors.reference import in_force_on


class CaseFilter(filters.FilterSet):
    # distinct=False: a case has one status, and DISTINCT would defeat the list indexes.
    status = filters.MultipleChoiceFilter(choices=CaseStatus.choices, distinct=False)
    created_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    submitted_from = filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")
    planned_start_from = filters.DateFilter(field_name="planned_start_date", lookup_expr="gte")
    planned_start_to = filters.DateFilter(field_name="planned_start_date", lookup_expr="lte")
    follow_up_from = filters.DateFilter(field_name="follow_up_on", lookup_expr="gte")
    follow_up_to = filters.DateFilter(field_name="follow_up_on", lookup_expr="lte")
    unassigned = filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull")
    # Ids, not model choices: validating a choice costs a query per filter, and scoping
    # already hides what is not the user's.
    practice = filters.NumberFilter(field_name="practice_id", min_value=0, max_value=MAX_ID)
    client = filters.NumberFilter(field_name="client_id", min_value=0, max_value=MAX_ID)
    insurer = filters.NumberFilter(field_name="insurer_id", min_value=0, max_value=MAX_ID)
    provider = filters.NumberFilter(field_name="provider_id", min_value=0, max_value=MAX_ID)
    assigned_to = filters.NumberFilter(field_name="assigned_to_id", min_value=0, max_value=MAX_ID)
    renewal_of = filters.NumberFilter(field_name="renewal_of_id", min_value=0, max_value=MAX_ID)

    class Meta:
        model = Case
        fields = [
            "status", "practice", "client", "insurer", "provider", "assigned_to", "reason",
            "service_type", "initiated_by", "renewal_of",
        ]  # fmt: skip


class RatePolicyFilter(filters.FilterSet):
    in_force_on = filters.DateFilter(method="filter_in_force_on", label="In force on (date)")

    class Meta:
        model = RatePolicy
        fields = ["practice", "insurer", "line_of_business", "kind"]

    def filter_in_force_on(self, queryset, name, value):
        return in_force_on(queryset, value)


class CaseSearchFilter(SearchFilter):
    """``search=`` over cases: every word must match the start of the client's first name,
    last name or member id, or be the insurer's reference or authorization number exactly.

    Clients are matched first in a subquery over the (small) client table, so the search
    never scans the case table with LIKE; prefix matching is what a billing office types
    (a member id, or the first letters of a name)."""

    def filter_queryset(self, request, queryset, view):
        terms = self.get_search_terms(request)
        return search_cases(queryset, user_roles(request.user).keys(), terms)
