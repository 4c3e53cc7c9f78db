import django_filters as filters
from django.db.models import Q

from .models import Case, CaseStatus, RatePolicy


class CaseFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    created_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    submitted_from = filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")
    planned_start_from = filters.DateFilter(field_name="planned_start_date", lookup_expr="gte")
    planned_start_to = filters.DateFilter(field_name="planned_start_date", lookup_expr="lte")
    follow_up_from = filters.DateFilter(field_name="follow_up_on", lookup_expr="gte")
    follow_up_to = filters.DateFilter(field_name="follow_up_on", lookup_expr="lte")
    unassigned = filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull")

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
        fields = ["insurer", "kind"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(effective_from__lte=value).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=value)
        )
