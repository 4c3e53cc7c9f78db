from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class ObtainTokenView(ObtainAuthToken):
    """POST {"username", "password"} -> {"token"}. Throttled per client address."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
