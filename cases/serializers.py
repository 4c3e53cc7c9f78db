"""DRF shapes for the cases app. Validation of rules lives in the services and models."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from billing_codes.models import BillingCode

from .models import (
    Case,
    CaseEvent,
    Client,
    Consent,
    Document,
    DocumentKind,
    Insurer,
    InsurerContact,
    NetworkSearch,
    PolicyRate,
    Practice,
    Provider,
    RatePolicy,
    RequestedService,
    SubmissionChannel,
)
from .permissions import practice_ids_where, user_roles
from .selectors import clients_visible_to, providers_visible_to
from .services.reference import POLICY_FIELDS, REASON_MAX_LENGTH, REVISED_FIELDS

User = get_user_model()


def _user(serializer) -> object:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ScopedPracticeField(serializers.PrimaryKeyRelatedField):
    """A practice the user may create records in (staff or above). Optional when the user
    belongs to one practice only."""

    def get_queryset(self):
        return self.get_queryset_for(_user(self.parent))

    @staticmethod
    def get_queryset_for(user):
        return Practice.objects.filter(id__in=practice_ids_where(user, "case"))


def default_practice(serializer, attrs: dict) -> dict:
    """Fill in the practice when the user belongs to exactly one."""
    if attrs.get("practice") is None:
        practices = list(ScopedPracticeField(read_only=True).get_queryset_for(_user(serializer)))
        if len(practices) != 1:
            raise serializers.ValidationError(
                {"practice": "Say which practice this belongs to."}
                if practices
                else {"practice": "You are not a member of any practice."}
            )
        attrs["practice"] = practices[0]
    return attrs


class PracticeOwnedSerializer(serializers.ModelSerializer):
    """For records owned by one practice: the practice is set on create (defaulted when the
    user has one) and never changes afterwards."""

    practice = ScopedPracticeField(required=False)

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("practice", None)
            return attrs
        return default_practice(self, attrs)


class PracticeSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    # Accepts "45-1234567"; the service stores the nine digits.
    tax_id = serializers.CharField(max_length=10, required=False, allow_blank=True)

    class Meta:
        model = Practice
        fields = [
            "id",
            "name",
            "npi",
            "tax_id",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "phone",
            "fax",
            "email",
            "signatory_name",
            "signatory_title",
            "is_active",
            "role",
        ]
        read_only_fields = ["is_active"]
        extra_kwargs = {"name": {"validators": []}}

    def get_role(self, obj) -> str | None:
        return user_roles(_user(self)).get(obj.pk)


class ClientSerializer(PracticeOwnedSerializer):
    # A client keeps an insurer archived since; the service refuses giving it one.
    insurer = serializers.PrimaryKeyRelatedField(
        queryset=Insurer.objects.all(), required=False, allow_null=True
    )
    insurer_name = serializers.CharField(
        source="insurer.name", read_only=True, default=None, allow_null=True
    )
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=12
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "practice",
            "first_name",
            "last_name",
            "date_of_birth",
            "insurer",
            "insurer_name",
            "line_of_business",
            "member_id",
            "group_number",
            "plan_name",
            "subscriber_name",
            "guardian_name",
            "guardian_relationship",
            "phone",
            "email",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "diagnosis_codes",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ProviderSerializer(PracticeOwnedSerializer):
    class Meta:
        model = Provider
        fields = [
            "id",
            "practice",
            "first_name",
            "last_name",
            "credential",
            "npi",
            "license_number",
            "license_state",
            "taxonomy_code",
            "email",
            "phone",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the (practice, npi) rule is checked by the model with a clear message


class InsurerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Insurer
        fields = [
            "id",
            "name",
            "payer_id",
            "sca_phone",
            "sca_fax",
            "sca_email",
            "sca_address",
            "portal_url",
            "behavioral_health_org",
            "notes",
            "is_active",
        ]


class PolicyRateSerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = PolicyRate
        fields = [
            "id",
            "billing_code",
            "code",
            "modifier",
            "highest_network_rate",
            "reference_rate",
        ]
        read_only_fields = ["id"]
        validators = []


class RatePolicySerializer(PracticeOwnedSerializer):
    """A practice's policy. ``practice`` and ``insurer`` are set on create and never change."""

    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    insurer_name = serializers.CharField(source="insurer.name", read_only=True)
    rates = PolicyRateSerializer(many=True, required=False)

    class Meta:
        model = RatePolicy
        fields = [
            "id",
            "practice",
            "insurer",
            "insurer_name",
            *POLICY_FIELDS,
            "rates",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("insurer", None)
        return super().validate(attrs)


class RatePolicyReviseSerializer(serializers.ModelSerializer):
    """New terms from a date on: the fields given replace the policy's, the rest carry over;
    ``rates``, when given, replace its rates (else they are copied)."""

    effective_from = serializers.DateField()
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
    rates = PolicyRateSerializer(many=True, required=False)

    class Meta:
        model = RatePolicy
        fields = ["effective_from", "reason", *REVISED_FIELDS, "rates"]
        extra_kwargs = {name: {"required": False} for name in REVISED_FIELDS}


class InsurerContactSerializer(PracticeOwnedSerializer):
    """A practice's own SCA contact at an insurer, used before the directory's defaults."""

    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    insurer_name = serializers.CharField(source="insurer.name", read_only=True)

    class Meta:
        model = InsurerContact
        fields = [
            "id",
            "practice",
            "insurer",
            "insurer_name",
            "purpose",
            "department",
            "address",
            "fax",
            "email",
            "phone",
            "portal_url",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # one per (practice, insurer, purpose): the model says so by name

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("insurer", None)
            attrs.pop("purpose", None)
        return super().validate(attrs)


# ----------------------------------------------------------------------------- cases


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
    from .models import Case

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


class RequestedServiceSerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)
    description = serializers.CharField(source="billing_code.short_description", read_only=True)

    class Meta:
        model = RequestedService
        fields = [
            "id",
            "billing_code",
            "code",
            "description",
            "modifier",
            "units",
            "unit_period",
            "requested_rate",
        ]
        validators = []


class NetworkSearchSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkSearch
        fields = [
            "id",
            "provider_name",
            "provider_npi",
            "contacted_on",
            "method",
            "outcome",
            "wait_weeks",
            "distance_miles",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class ConsentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(required=False, write_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "signer_name",
            "signer_relationship",
            "signed_on",
            "acknowledges_costs",
            "estimated_patient_cost",
            "method",
            "file",
            "has_file",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)


class CaseDetailSerializer(CaseFieldsSerializer):
    # Blank until the case is submitted: declared so the schema's enum admits "".
    submission_channel = serializers.ChoiceField(
        choices=SubmissionChannel.choices, allow_blank=True, read_only=True
    )
    services = RequestedServiceSerializer(many=True, read_only=True)
    network_searches = NetworkSearchSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta(CaseFieldsSerializer.Meta):
        fields = [
            *CaseFieldsSerializer.Meta.fields,
            "clinical_justification",
            "submission_channel",
            "rate_policy",
            "decision_reason",
            "created_by",
            "services",
            "network_searches",
            "consents",
        ]
        read_only_fields = fields


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
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Case
        fields = [
            "practice",
            "client",
            "provider",
            "insurer",
            "reason",
            "initiated_by",
            "service_type",
            "planned_start_date",
            "requested_start",
            "requested_end",
            "sessions_requested",
            "sessions_remaining",
            "clinical_justification",
            "assigned_to",
            "follow_up_on",
            "insurer_reference",
            "authorization_number",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self)
        self.fields["client"].queryset = clients_visible_to(user)
        self.fields["provider"].queryset = providers_visible_to(user)
        # Only colleagues can be assignees: other users' ids are not even confirmed to exist.
        self.fields["assigned_to"].queryset = User.objects.filter(
            is_active=True, memberships__practice_id__in=list(user_roles(user))
        ).distinct()

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("practice", None)
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
    submission_channel = serializers.ChoiceField(
        choices=Case._meta.get_field("submission_channel").choices, required=False, allow_blank=True
    )
    insurer_reference = serializers.CharField(max_length=60, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    ok = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=["error", "warning"])
    detail = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    checks = CheckSerializer(many=True)


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "case",
            "kind",
            "status",
            "sha256",
            "size_bytes",
            "page_count",
            "render_ms",
            "error",
            "attempts",
            "created_at",
            "rendered_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        return f"/api/v1/documents/{obj.pk}/download/" if obj.status == "ready" else None


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = ["id", "created_at", "actor", "kind", "message", "data"]
        read_only_fields = fields
