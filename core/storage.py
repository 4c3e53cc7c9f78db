"""Where private files live, and what a storage fault means to a request.

Local disk (``PRIVATE_MEDIA_ROOT``) is the embedded default. ``PRIVATE_STORAGE_URL`` moves the
private files (consent scans, generated documents and packets, attachments, provider documents)
to S3-compatible object storage, so that every web and worker host sees the same files:
``s3://bucket/key-prefix?endpoint_url=...&region_name=...``. The bucket is the URL's host, the
key prefix its path, and the query sets django-storages' S3 options by name. Credentials come
from the standard ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, never from the URL (a URL
gets copied into logs and tickets). Whatever the URL says, objects are written without a public
ACL, with server-side encryption requested, and never over an existing key (``core.s3``).

This module is imported by the settings: nothing here imports boto until a fault is classified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from os import PathLike
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

S3_BACKEND = "core.s3.PrivateS3Storage"
SSE_VALUES = ("AES256", "aws:kms", "aws:kms:dsse", "none")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: {name} must be true or false, not {value!r}.")


def _count(name: str, value: str) -> int:
    if not value.isdigit():
        raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: {name} must be a whole number.")
    return int(value)


MAX_SECONDS = 300.0  # a timeout past this would hold a web worker as if there were none


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_SECONDS:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: {name} must be a number of seconds, at most {MAX_SECONDS:g}."
        )
    return seconds


def _endpoint(name: str, value: str) -> str:
    """An http(s) address with a host and no credentials in it (they come from the
    environment: a URL is logged and shown in process lists)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: {name} must be an http:// or https:// address."
        )
    if parts.username or parts.password:
        raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: {name}: {_CREDENTIALS}.")
    return value


def _text(name: str, value: str) -> str:
    if not value:
        raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: {name} is empty.")
    return value


def _flag_or_path(name: str, value: str) -> bool | str:
    # verify: true/false, or the path of a CA bundle (a private S3 server's own CA).
    lowered = value.lower()
    return _flag(name, value) if lowered in _TRUE + _FALSE else _text(name, value)


# S3Storage's settings a URL may set (every name is one of its get_default_settings(), which
# tests/core/test_storage.py holds it to), and the timeouts of core.s3.PrivateS3Storage.
URL_OPTIONS: dict[str, Callable[[str, str], Any]] = {
    "endpoint_url": _endpoint,
    "region_name": _text,
    "addressing_style": _text,
    "signature_version": _text,
    "session_profile": _text,
    "file_name_charset": _text,
    "use_ssl": _flag,
    "gzip": _flag,
    "verify": _flag_or_path,
    "max_memory_size": _count,
}
CLIENT_OPTIONS: dict[str, Callable[[str, str], Any]] = {
    "connect_timeout": _seconds,
    "read_timeout": _seconds,
    "max_attempts": _count,
}
_NO_URLS = "the app never hands out URLs to private files: downloads are streamed through it"
_CREDENTIALS = "credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never the URL"
# S3Storage's other settings, each refused with the reason.
REFUSED_OPTIONS: dict[str, str] = {
    "access_key": _CREDENTIALS,
    "secret_key": _CREDENTIALS,
    "security_token": _CREDENTIALS,
    "bucket_name": "the bucket is the URL's host",
    "location": "the key prefix is the URL's path",
    "custom_domain": _NO_URLS,
    "querystring_auth": _NO_URLS,
    "querystring_expire": _NO_URLS,
    "cloudfront_key_id": _NO_URLS,
    "cloudfront_key": _NO_URLS,
    "url_protocol": _NO_URLS,
    "object_parameters": "use server_side_encryption and sse_kms_key_id",
    "proxies": "it cannot be given in a URL",
    "transfer_config": "it cannot be given in a URL",
    "client_config": "use connect_timeout, read_timeout and max_attempts",
    "gzip_content_types": "it cannot be given in a URL",
    "use_threads": "it is deprecated by django-storages",
}


def private_storage_setting(url: str, local_root: str | PathLike[str]) -> dict[str, Any]:
    """``STORAGES["private"]``: the local directory ``local_root``, or with a ``url`` the object
    storage it names."""
    if url:
        return private_storage_from_url(url)
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(local_root), "base_url": None},
    }


def private_storage_from_url(url: str) -> dict[str, Any]:
    """The ``STORAGES["private"]`` entry for ``url`` (``s3://bucket/prefix?option=value``);
    ImproperlyConfigured naming what is wrong: an unknown or refused option, a value of the
    wrong kind, a public ACL, overwriting keys."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured("PRIVATE_STORAGE_URL must be an s3:// URL.")
    bucket = parts.netloc
    if not bucket or "@" in bucket or ":" in bucket:
        raise ImproperlyConfigured(
            "PRIVATE_STORAGE_URL: the host is the bucket's name (no credentials, no port; the "
            "server goes in endpoint_url)."
        )
    options: dict[str, Any] = {"bucket_name": bucket, "location": parts.path.strip("/")}
    encryption, kms_key = "AES256", ""
    seen: set[str] = set()
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in seen:
            raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: {name} is given twice.")
        seen.add(name)
        if name in URL_OPTIONS:
            options[name] = URL_OPTIONS[name](name, value)
        elif name in CLIENT_OPTIONS:
            options[name] = CLIENT_OPTIONS[name](name, value)
        elif name == "server_side_encryption":
            if value not in SSE_VALUES:
                raise ImproperlyConfigured(
                    f"PRIVATE_STORAGE_URL: server_side_encryption must be one of "
                    f"{', '.join(SSE_VALUES)}."
                )
            encryption = value
        elif name == "sse_kms_key_id":
            kms_key = _text(name, value)
        elif name == "default_acl":
            if value != "private":
                raise ImproperlyConfigured(
                    "PRIVATE_STORAGE_URL: default_acl can only be private: files hold patient data."
                )
        elif name == "file_overwrite":
            if _flag(name, value):
                raise ImproperlyConfigured(
                    "PRIVATE_STORAGE_URL: file_overwrite cannot be true: a new file never "
                    "replaces a stored one (a sent packet is evidence)."
                )
        elif name in REFUSED_OPTIONS:
            raise ImproperlyConfigured(
                f"PRIVATE_STORAGE_URL: {name} cannot be set here: {REFUSED_OPTIONS[name]}."
            )
        else:
            raise ImproperlyConfigured(f"PRIVATE_STORAGE_URL: unknown option {name!r}.")
    if kms_key and not encryption.startswith("aws:kms"):
        raise ImproperlyConfigured(
            "PRIVATE_STORAGE_URL: sse_kms_key_id needs server_side_encryption=aws:kms."
        )
    # "none" is for a server that encrypts its disks itself and refuses the header.
    parameters = {} if encryption == "none" else {"ServerSideEncryption": encryption}
    if kms_key:
        parameters["SSEKMSKeyId"] = kms_key
    options["object_parameters"] = parameters
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


class StorageUnavailable(OSError):
    """The private storage could not be reached (or refused the app's credentials). An OSError,
    so that the tasks' retries on OSError take it as the transient fault it is."""


Fault = Literal["missing", "unavailable"]


def storage_fault(exc: BaseException) -> Fault | None:
    """What an exception raised while using the private storage means: the file is not there
    ("missing": deleted out of band, a local FileNotFoundError or an S3 404), the storage cannot
    be used just now ("unavailable": unreachable, timing out, a 5xx, refused credentials, no
    bucket), or None for anything else (a bug, to surface as one)."""
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, ConnectionError | TimeoutError):
        return "unavailable"
    return object_storage_fault(exc)


def bucket_reachable(storage: Any) -> bool:
    """Whether ``storage``'s bucket answers (True for local disk): told apart from one missing
    object, a wrong or deleted bucket makes every file look missing."""
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        return True
    try:
        bucket.meta.client.head_bucket(Bucket=bucket.name)
    except Exception as exc:
        if object_storage_fault(exc) is None and not isinstance(exc, OSError):
            raise
        return False
    return True


def object_storage_fault(exc: BaseException) -> Fault | None:
    """``storage_fault`` for the exceptions only object storage raises (boto's), which can be
    read as storage faults wherever they come from."""
    if isinstance(exc, StorageUnavailable):
        return "unavailable"
    try:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError
        from s3transfer.exceptions import RetriesExceededError
    except ImportError:  # no boto: the storage is local disk
        return None
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error.get("Code") == "NoSuchBucket":
            return "unavailable"  # the storage is misconfigured, not this one file
        if status == 404 or error.get("Code") in ("NoSuchKey", "NotFound", "404"):
            return "missing"
        return "unavailable"
    if isinstance(exc, BotoCoreError | Boto3Error | RetriesExceededError):
        return "unavailable"
    return None


STORAGE_UNAVAILABLE_DETAIL = "The file storage cannot be reached just now. Try again shortly."
FILE_MISSING_DETAIL = (
    "The stored file is missing; the operators have been told. Upload it again, or request "
    "the document again."
)


def storage_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: nothing was sent, and the same request may simply be tried again."""
    from .refusals import plain_refusal  # not at the top: the settings import this module

    return plain_refusal(
        request, 503, "storage_unavailable", STORAGE_UNAVAILABLE_DETAIL, retry_after=30
    )


def file_missing_response(request: HttpRequest) -> HttpResponse:
    """404 for a record whose stored file is gone (the record itself is there)."""
    from .refusals import plain_refusal  # not at the top: the settings import this module

    return plain_refusal(request, 404, "file_missing", FILE_MISSING_DETAIL)


class StorageUnavailableMiddleware:
    """An upload (or any other use of the private storage) that finds it unreachable answers
    503 with Retry-After, not a 500; the request's transaction has rolled back, so it may be
    sent again as it was. Downloads answer the same on their own (``cases.downloads``), before
    any header of the file goes out. The API's unhandled exceptions reach here too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Boto's exceptions only: a builtin ConnectionError here may be the mail server's.
        if object_storage_fault(exception) != "unavailable":
            return None
        # The class only: a message can quote the key or the endpoint's answer.
        logger.warning("private storage unavailable (%s): answered 503", type(exception).__name__)
        return storage_unavailable_response(request)
