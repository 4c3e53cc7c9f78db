"""Append-only log of who read patient data, and when."""

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW_CLIENT = "view_client", "Viewed a client"
    VIEW_CASE = "view_case", "Viewed a case"
    DOWNLOAD_DOCUMENT = "download_document", "Downloaded a document"
    DOWNLOAD_CONSENT = "download_consent", "Downloaded a consent scan"
    EXPORT_CASES = "export_cases", "Exported the case list"
    DOWNLOAD_ATTACHMENT = "download_attachment", "Downloaded a case attachment"
    DOWNLOAD_CREDENTIAL = "download_credential", "Downloaded a provider or practice document"


class AccessLog(models.Model):
    """Written by ``services.access_record`` only; never updated or deleted by the app."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey("cases.Practice", on_delete=models.PROTECT, related_name="+")
    # Empty for a bulk read (the case list export), which covers many clients.
    client = models.ForeignKey(
        "cases.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-at"]),
            models.Index(fields=["client", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.object_type} {self.object_id}"
