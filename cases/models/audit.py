"""Append-only log of who read patient data, when, from where, and which clients and cases the
answer carried. Kept at least six years (HIPAA §164.316(b)(2)): no code path deletes it."""

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    READ = "read", "Read patient data"
    SEARCH = "search", "Searched patient data"
    VIEW_HISTORY = "view_history", "Read the change history"
    VIEW_CLIENT = "view_client", "Viewed a client"
    VIEW_CASE = "view_case", "Viewed a case"
    DOWNLOAD_DOCUMENT = "download_document", "Downloaded a document"
    DOWNLOAD_CONSENT = "download_consent", "Downloaded a consent scan"
    EXPORT_CASES = "export_cases", "Exported the case list"
    DOWNLOAD_ATTACHMENT = "download_attachment", "Downloaded a case attachment"
    DOWNLOAD_CREDENTIAL = "download_credential", "Downloaded a provider or practice document"


class AccessLog(models.Model):
    """One request that read patient data (one per practice it read from), written by
    ``services.audit.access_log_write`` only; never updated or deleted by the app. The clients
    and cases the answer carried are its ``subjects``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Empty for a site operator's read outside any practice.
    practice = models.ForeignKey(
        "cases.Practice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The one client and case of a single-record read (also in ``subjects``); empty for lists.
    client = models.ForeignKey(
        "cases.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The file or record downloaded, when the read was one (a document, a consent scan, ...).
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    # Where and how: the URL's name (never its query string), the method, the client's address
    # as the trusted proxies report it (PROXY_COUNT) and its user agent.
    route = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=8, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-at"]),
            models.Index(fields=["client", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.route or self.object_type}"


class AccessLogSubject(models.Model):
    """A client (and the case, when the answer was about one) that an access carried: a list's
    page has one row per record shown. Rows, not an array: SQLite has none."""

    entry = models.ForeignKey(AccessLog, on_delete=models.PROTECT, related_name="subjects")
    client = models.ForeignKey(
        "cases.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        # The audit's "every read of this client (case)": index-only from subject to entry.
        indexes = [
            models.Index(fields=["client", "entry"], name="access_subject_client_entry"),
            models.Index(fields=["case", "entry"], name="access_subject_case_entry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False) | models.Q(case__isnull=False),
                name="access_subject_names_client_or_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: client {self.client_id} case {self.case_id}"
