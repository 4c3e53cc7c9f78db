"""The case: its fields, the list's rows, the detail with its parts, writes, lifecycle
bodies, readiness and the timeline."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import (
    Case,
    CaseEvent,
    Client,
    DenialCategory,
    Insurer,
    Provider,
    SubmissionChannel,
)
from cases.permissions import user_roles
from cases.selectors.appeals import AppealState, appeal_state
from cases.selectors.people import clients_visible_to, providers_visible_to
from cases.services.case import (
    DECISION_REASON_MAX_LENGTH,
    DRAFT_FIELDS,
    SESSIONS_REMAINING_BOUNDS,
    SESSIONS_REQUESTED_BOUNDS,
    TRACKING_FIELDS,
)

from .appeals import APPEAL_OPTIONS_SCHEMA, appeal_options_data
from .common import related_field, request_user
from .parts import ConsentSerializer, NetworkSearchSerializer, RequestedServiceSerializer
from .submissions import confirmation_field, sent_to_field
from .tenancy import ScopedPracticeField, default_practice

User = get_user_model()


class CaseFieldsSerializer(serializers.ModelSerializer):
    """The case's fields as the API shows them. Every name comes from select_related."""

    client_name = serializers.CharField(source="client.full_name", read_only=True)
    member_id = serializers.CharField(source="client.member_id", read_only=True)
    provider_name = serializers.CharField(
        source="provider.full_name", read_only=True, default=None, allow_null=True
    )
    insurer_name = serializers.CharField(source="insurer.name", read_only=True)
    assigned_to_name = serializers.CharField(
        source="assigned_to.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "practice",
            "client",
            "client_name",
            "member_id",
            "provider",
            "provider_name",
            "insurer",
            "insurer_name",
            "reason",
            "initiated_by",
            "service_type",
            "status",
            "planned_start_date",
            "requested_start",
            "requested_end",
            "sessions_requested",
            "sessions_remaining",
            "submitted_at",
            "decided_at",
            "assigned_to",
            "assigned_to_name",
            "follow_up_on",
            "insurer_reference",
            "authorization_number",
            "renewal_of",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


_DATETIME = serializers.DateTimeField()


def _date(value):
    return value.isoformat() if value is not None else None


def _datetime(value, tz=None):
    """DRF's ISO 8601 rendering in the current time zone ("Z" for UTC). For a list, the rows
    pass the zone in: DRF looks it up per value, which was a fifth of a list page's time."""
    if value is None:
        return None
    if tz is None:
        return _DATETIME.to_representation(value)
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CaseListSerializer(CaseFieldsSerializer):
    """The list's rows, built directly: DRF's per-field machinery was half of a list page's
    time at scale. ``CaseFieldsSerializer`` stays the schema and the reference this must
    match (tests/cases/test_case_api.py compares the two)."""

    def to_representation(self, case):
        client, provider, assignee = case.client, case.provider, case.assigned_to
        return {
            "id": case.pk,
            "practice": case.practice_id,
            "client": case.client_id,
            "client_name": client.full_name,
            "member_id": client.member_id,
            "provider": case.provider_id,
            "provider_name": provider.full_name if provider else None,
            "insurer": case.insurer_id,
            "insurer_name": case.insurer.name,
            "reason": case.reason,
            "initiated_by": case.initiated_by,
            "service_type": case.service_type,
            "status": case.status,
            "planned_start_date": _date(case.planned_start_date),
            "requested_start": _date(case.requested_start),
            "requested_end": _date(case.requested_end),
            "sessions_requested": case.sessions_requested,
            "sessions_remaining": case.sessions_remaining,
            "submitted_at": _datetime(case.submitted_at),
            "decided_at": _datetime(case.decided_at),
            "assigned_to": case.assigned_to_id,
            "assigned_to_name": assignee.username if assignee else None,
            "follow_up_on": _date(case.follow_up_on),
            "insurer_reference": case.insurer_reference,
            "authorization_number": case.authorization_number,
            "renewal_of": case.renewal_of_id,
            "version": case.version,
            "created_at": _datetime(case.created_at),
            "updated_at": _datetime(case.updated_at),
        }


CASE_ROW_COLUMNS = (
    "id", "practice_id", "client_id", "client__first_name", "client__last_name",
    "client__member_id", "provider_id", "provider__first_name", "provider__last_name",
    "insurer_id", "insurer__name", "reason", "initiated_by", "service_type", "status",
    "planned_start_date", "requested_start", "requested_end", "sessions_requested",
    "sessions_remaining", "submitted_at", "decided_at", "assigned_to_id",
    "assigned_to_name", "follow_up_on", "insurer_reference", "authorization_number",
    "renewal_of_id", "version", "created_at", "updated_at",
)  # fmt: skip


def _with_assignee_name(queryset):
    """The assignee's username as a scalar subquery, not a fifth join: PostgreSQL plans a
    five-table join in about 2 ms (more than the page takes to run, 0.3 ms), four in under
    1 ms. Measured on 100,000 cases (docs/PERFORMANCE.md)."""
    from django.contrib.auth import get_user_model
    from django.db.models import OuterRef, Subquery

    users = get_user_model().objects.filter(pk=OuterRef("assigned_to_id")).values("username")
    return queryset.annotate(assigned_to_name=Subquery(users[:1]))


def case_rows(ids) -> dict[int, dict]:
    """The list's rows for these case ids straight from one query of plain values: no model
    instances (150 per page with their related objects). Equal to ``CaseFieldsSerializer``
    (tests/cases/test_case_api.py compares them)."""
    rows = _with_assignee_name(Case.objects.filter(pk__in=ids)).values_list(*CASE_ROW_COLUMNS)
    tz = timezone.get_current_timezone()
    return {row["id"]: row for row in (_case_row(v, tz) for v in rows)}


def case_rows_in_order(queryset) -> list[dict]:
    """The same rows for a filtered, ordered and sliced queryset, in one query (shallow pages)."""
    tz = timezone.get_current_timezone()
    rows = _with_assignee_name(queryset).values_list(*CASE_ROW_COLUMNS)
    return [_case_row(v, tz) for v in rows]


def _case_row(v: tuple, tz) -> dict:
    (pk, practice, client, c_first, c_last, member_id, provider, p_first, p_last, insurer,
     insurer_name, reason, initiated_by, service_type, status, planned, start, end,
     sessions_requested, sessions_remaining, submitted_at, decided_at, assignee,
     assignee_name, follow_up_on, insurer_reference, authorization_number, renewal_of,
     version, created_at, updated_at) = v  # fmt: skip
    return {
        "id": pk,
        "practice": practice,
        "client": client,
        "client_name": f"{c_first} {c_last}",
        "member_id": member_id,
        "provider": provider,
        "provider_name": f"{p_first} {p_last}" if provider else None,
        "insurer": insurer,
        "insurer_name": insurer_name,
        "reason": reason,
        "initiated_by": initiated_by,
        "service_type": service_type,
        "status": status,
        "planned_start_date": _date(planned),
        "requested_start": _date(start),
        "requested_end": _date(end),
        "sessions_requested": sessions_requested,
        "sessions_remaining": sessions_remaining,
        "submitted_at": _datetime(submitted_at, tz),
        "decided_at": _datetime(decided_at, tz),
        "assigned_to": assignee,
        "assigned_to_name": assignee_name,
        "follow_up_on": _date(follow_up_on),
        "insurer_reference": insurer_reference,
        "authorization_number": authorization_number,
        "renewal_of": renewal_of,
        "version": version,
        "created_at": _datetime(created_at, tz),
        "updated_at": _datetime(updated_at, tz),
    }


class CaseDetailSerializer(CaseFieldsSerializer):
    # Blank until the case is submitted: declared so the schema's enum admits "".
    submission_channel = serializers.ChoiceField(
        choices=SubmissionChannel.choices, allow_blank=True, read_only=True
    )
    # Blank until the case is denied: declared so the schema's enum admits "".
    denial_category = serializers.ChoiceField(
        choices=DenialCategory.choices, allow_blank=True, read_only=True
    )
    # What may be appealed, read only for a denied case (its appeals and its policy: two or
    # three queries; none for any other status).
    appealable = serializers.SerializerMethodField()
    appeal_deadline = serializers.SerializerMethodField()
    appeal_options = serializers.SerializerMethodField()
    services = RequestedServiceSerializer(many=True, read_only=True)
    network_searches = NetworkSearchSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta(CaseFieldsSerializer.Meta):
        fields = [
            *CaseFieldsSerializer.Meta.fields,
            "treatment_started_on",
            "coverage_change_on",
            "clinical_justification",
            "submission_channel",
            "rate_policy",
            "decision_reason",
            "denial_category",
            "denial_received_on",
            "denial_appeal_address",
            "appealable",
            "appeal_deadline",
            "appeal_options",
            "created_by",
            "services",
            "network_searches",
            "consents",
        ]
        read_only_fields = fields

    def _appeal_state(self, case: Case) -> AppealState:
        # The three fields read one state, computed once per case.
        states: dict[int, AppealState] = getattr(self, "_appeal_states", {})
        if case.pk not in states:
            states[case.pk] = appeal_state(case)
            self._appeal_states = states
        return states[case.pk]

    def get_appealable(self, case: Case) -> bool:
        """The case is denied and its denial may be appealed (not ``contract_refused``)."""
        return self._appeal_state(case).appealable

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_appeal_deadline(self, case: Case):
        """The nearest appeal deadline of a denied case; null when nothing may be filed."""
        return _date(self._appeal_state(case).deadline)

    @extend_schema_field(APPEAL_OPTIONS_SCHEMA)
    def get_appeal_options(self, case: Case):
        """The levels that may be filed now, each with its deadline."""
        return appeal_options_data(self._appeal_state(case).options)


class CaseWriteSerializer(serializers.ModelSerializer):
    practice = ScopedPracticeField(required=False)
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.none(), required=False, allow_null=True
    )
    # Any insurer of the directory: a case keeps one archived since, and a new case on an
    # archived insurer is refused by the service (insurer_archived).
    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    sessions_requested = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=SESSIONS_REQUESTED_BOUNDS[0],
        max_value=SESSIONS_REQUESTED_BOUNDS[1],
    )
    sessions_remaining = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=SESSIONS_REMAINING_BOUNDS[0],
        max_value=SESSIONS_REMAINING_BOUNDS[1],
    )
    version = serializers.IntegerField(required=False, min_value=1)
    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text="Create even though an open case of this client and insurer overlaps the "
        "period (otherwise 409 `duplicate_open_case`, naming it in `existing_case`).",
    )

    class Meta:
        model = Case
        fields = ["practice", *DRAFT_FIELDS, *TRACKING_FIELDS, "version", "confirm_duplicate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = request_user(self)
        related_field(self, "client").queryset = clients_visible_to(user)
        related_field(self, "provider").queryset = providers_visible_to(user)
        # Only colleagues can be assignees: other users' ids are not even confirmed to exist.
        related_field(self, "assigned_to").queryset = User.objects.filter(
            is_active=True, memberships__practice_id__in=list(user_roles(user))
        ).distinct()

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("practice", None)
            attrs.pop("confirm_duplicate", None)  # a create's question only
            if "version" not in attrs:
                raise serializers.ValidationError(
                    {"version": "Send the version of the case you are editing."}
                )
            return attrs
        attrs.pop("version", None)
        client = attrs.get("client")
        if attrs.get("practice") is None and client is not None:
            attrs["practice"] = client.practice
        return default_practice(self, attrs)


class SubmitSerializer(serializers.Serializer):
    """Submit; the first sending is recorded with the channel, ``sent_to`` (default: the
    insurer's contact for the channel) and the ``confirmation`` (a fax or portal receipt)."""

    submission_channel = serializers.ChoiceField(
        choices=SubmissionChannel.choices, required=False, allow_blank=True
    )
    insurer_reference = serializers.CharField(
        max_length=Case._meta.get_field("insurer_reference").max_length,
        required=False,
        allow_blank=True,
    )
    sent_to = sent_to_field()
    confirmation = confirmation_field()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=DECISION_REASON_MAX_LENGTH)


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    ok = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=["error", "warning"])
    detail = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    checks = CheckSerializer(many=True)


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = ["id", "created_at", "actor", "kind", "message", "data"]
        read_only_fields = fields
