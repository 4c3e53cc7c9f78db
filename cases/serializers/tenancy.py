"""Practices, and the practice a record belongs to (set on create, defaulted when the user has
one)."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Practice
from cases.permissions import practice_ids_where, user_roles
from cases.selectors.appeals import DEFAULT_PARITY_TEXT
from cases.services.tenancy import APPEAL_PARITY_TEXT_MAX_LENGTH, PRACTICE_FIELDS

from .common import request_user


class ScopedPracticeField(serializers.PrimaryKeyRelatedField):
    """A practice the user may create records in (staff or above). Optional when the user
    belongs to one practice only."""

    def get_queryset(self):
        return self.get_queryset_for(request_user(self.parent))

    @staticmethod
    def get_queryset_for(user):
        return Practice.objects.filter(id__in=practice_ids_where(user, "case"))


def default_practice(serializer, attrs: dict) -> dict:
    """Fill in the practice when the user belongs to exactly one."""
    if attrs.get("practice") is None:
        practices = list(
            ScopedPracticeField(read_only=True).get_queryset_for(request_user(serializer))
        )
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
    appeal_parity_text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=APPEAL_PARITY_TEXT_MAX_LENGTH,
        help_text="The mental health parity paragraph of the practice's appeal letters (left "
        "out for TRICARE). Empty: the shipped default, which reads: " + DEFAULT_PARITY_TEXT,
    )

    class Meta:
        model = Practice
        fields = ["id", *PRACTICE_FIELDS, "is_active", "role"]
        read_only_fields = ["is_active"]
        extra_kwargs: dict[str, dict[str, object]] = {"name": {"validators": []}}

    def get_role(self, obj) -> str | None:
        return user_roles(request_user(self)).get(obj.pk)
