"""A create that must not happen twice: the API's ``Idempotency-Key`` header and the browser's
one-time form token both claim a row here before the create runs, and record its answer after,
so a repeated request (a retry, a double click, Back and save) gets the first answer instead of
a second record."""

from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """One claimed key, scoped per (user, method, path). ``body_sha256`` is the digest of the
    request's body (a form's fields, without its tokens), so the same key with another body can
    be refused. ``status_code`` is null while the first request is still running. The answer
    kept is the API's JSON body or a page's redirect location; it may carry patient data, like
    every other row of this database, and is deleted after IDEMPOTENCY_HOURS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "method", "path", "key"], name="idempotentrequest_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key[:8]}…)"
