"""API sign-in: a token for a username, a password and (when the user has a device) a code;
signing a token out, or all of them. The rules are in ``sca_portal.tokens``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import JSONRenderer
from core.auth import signed_in_user

from .login import THROTTLED_MESSAGE, sign_in_failed, username_over_rate
from .tokens import token_issue, token_revoke, tokens_revoke_all

BAD_CREDENTIALS = "Unable to sign in with the username and password given."


class CredentialsSerializer(serializers.Serializer):
    """What a client sends for a token. The password is checked here (and counts towards the
    lockout, django-axes); the second factor in ``token_issue``."""

    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        write_only=True,
        help_text="The current code of the user's authenticator app; required when the user "
        "has set one up.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # One message whatever failed (unknown user, wrong password, inactive account, locked
        # out), so the answer tells nobody which usernames exist.
        user = authenticate(
            request=self.context["request"],
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(BAD_CREDENTIALS, code="authorization")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>`. Shown once: only a digest is kept."
    )
    expiry = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working (TOKEN_TTL_HOURS)."
    )


class ObtainTokenView(APIView):
    """POST {"username", "password", "otp"?} -> {"token", "expiry"}. Throttled per client
    address (scope "token")."""

    authentication_classes: list[type] = []  # credentials come in the body; no CSRF to ask
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    renderer_classes = [JSONRenderer]  # no browsable form that offers to post a password

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                description="Bad credentials (`non_field_errors`, the same whatever was wrong) "
                "or a missing or wrong `otp`."
            ),
            403: OpenApiResponse(
                description="`mfa_enrolment_required`: the user's role needs a second factor; "
                "set one up in the browser first."
            ),
            429: OpenApiResponse(description="Too many requests from this address."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # The sign-in form's limit per username holds here too: failures spread over many
        # addresses (past the per-address throttle) still stop at LOGIN_RATE_PER_USER.
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = username if isinstance(username, str) else ""
        if username_over_rate(username):
            return Response(
                {"code": "too_many_attempts", "detail": THROTTLED_MESSAGE},
                status=429,
                headers={"Retry-After": "60"},
            )
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "non_field_errors" in serializer.errors:  # the credentials, not the shape
                sign_in_failed(username)
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        instance, key = token_issue(user=user, otp=serializer.validated_data.get("otp", ""))
        # Like a browser sign-in: last_login, and django-axes records it and clears failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenSerializer({"token": key, "expiry": instance.expiry}).data)


NO_CONTENT = {204: OpenApiResponse(description="Signed out.")}


class LogoutView(APIView):
    """Ends the token this request was sent with; the user's other tokens go on working."""

    authentication_classes = [TokenAuthentication]  # a browser session signs out at /logout/
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NO_CONTENT)
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        token: AuthToken = request.auth  # what knox's TokenAuthentication, the only one, gives
        token_revoke(user=user, digest=token.digest)
        user_logged_out.send(sender=user.__class__, request=request, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Ends every token of the user, this one included (a lost laptop, a leaked script)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NO_CONTENT)
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        tokens_revoke_all(user=user)
        user_logged_out.send(sender=user.__class__, request=request, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
