"""The agreement's terms, as accepting an offer or approving as requested takes them."""

from rest_framework import serializers

from ..models.agreements import Agreement
from ..services.agreements import SESSIONS_AUTHORIZED_MAX, SESSIONS_AUTHORIZED_MIN

_NUMBER = Agreement._meta.get_field("authorization_number")


class AcceptSerializer(serializers.Serializer):
    authorization_number = serializers.CharField(max_length=_NUMBER.max_length)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    sessions_authorized = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=SESSIONS_AUTHORIZED_MIN,
        max_value=SESSIONS_AUTHORIZED_MAX,
    )
