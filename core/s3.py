"""The private storage on S3-compatible object storage (``PRIVATE_STORAGE_URL``, core.storage)."""

from __future__ import annotations

import mimetypes
from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """django-storages' S3Storage held to what private files need, whatever else it is given:
    no ACL header (the objects stay private to the bucket's account, and buckets that refuse
    ACLs accept the writes), never over an existing key (a new file gets a new key: a sent
    packet stays as it was sent), no URLs (downloads are streamed by the app after its checks),
    and bounded timeouts and retries, so that an unreachable server answers a download with a
    503 within seconds instead of holding a web worker for minutes (botocore's defaults: 60 s
    to connect, 5 attempts)."""

    client_config: Config

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
        **settings: Any,
    ) -> None:
        settings.update(
            default_acl=None, file_overwrite=False, custom_domain=None, querystring_auth=False
        )
        # A download is fetched whole before it is sent: past this, into a temporary file on
        # disk instead of memory (django-storages' default, 0, keeps every byte in memory).
        settings.setdefault("max_memory_size", 2 * 1024 * 1024)
        super().__init__(**settings)
        self.client_config = self.client_config.merge(
            Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "max_attempts": max(1, max_attempts)},
            )
        )

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        # The type of the key's extension (the app named it after checking the content), not
        # the one the browser declared with the upload.
        parameters: dict[str, Any] = super().get_object_parameters(name)
        parameters.setdefault(
            "ContentType", mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        return parameters
