"""A case's sendings: as listed, and a re-send's body."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Submission, SubmissionChannel
from cases.services.submissions import SUBMISSION_FIELDS, SUBMISSION_PAGES_BOUNDS


def sent_to_field() -> serializers.CharField:
    """Where a sending went (a fax number, an address): also the submit body's."""
    length = Submission._meta.get_field("sent_to").max_length
    return serializers.CharField(max_length=length, required=False, allow_blank=True)


def confirmation_field() -> serializers.CharField:
    """A fax confirmation, portal reference or tracking number: also the submit body's."""
    length = Submission._meta.get_field("confirmation").max_length
    return serializers.CharField(max_length=length, required=False, allow_blank=True)


class SubmissionSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Submission
        fields = ["id", "case", *SUBMISSION_FIELDS, "recorded_by", "created_at"]
        read_only_fields = fields


class SubmissionWriteSerializer(serializers.Serializer):
    """A re-send. ``sent_at`` defaults to now; ``pages`` to the document's; ``document`` is the
    id of a ready document of the case (the service checks it)."""

    channel = serializers.ChoiceField(choices=SubmissionChannel.choices)
    sent_at = serializers.DateTimeField(required=False)
    sent_to = sent_to_field()
    pages = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=SUBMISSION_PAGES_BOUNDS[0],
        max_value=SUBMISSION_PAGES_BOUNDS[1],
    )
    confirmation = confirmation_field()
    document = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2_147_483_647
    )
