"""PRIVATE_STORAGE_URL read into the private storage's settings (core.storage), and storage
faults told apart: a pure function, no server needed."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from django.core.exceptions import ImproperlyConfigured

from core.storage import (
    CLIENT_OPTIONS,
    REFUSED_OPTIONS,
    URL_OPTIONS,
    StorageUnavailable,
    object_storage_fault,
    private_storage_from_url,
    storage_fault,
)

URL = "s3://sca-private/documents?endpoint_url=http://127.0.0.1:9000&region_name=us-east-1"


def refused(url: str) -> str:
    with pytest.raises(ImproperlyConfigured) as exc:
        private_storage_from_url(url)
    return str(exc.value)


def test_bucket_from_the_host_prefix_from_the_path_options_from_the_query():
    storage = private_storage_from_url(URL)
    assert storage == {
        "BACKEND": "core.s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": "sca-private",
            "location": "documents",
            "endpoint_url": "http://127.0.0.1:9000",
            "region_name": "us-east-1",
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }


def test_no_path_is_the_bucket_root_and_a_deep_path_is_kept():
    assert private_storage_from_url("s3://b1")["OPTIONS"]["location"] == ""
    assert private_storage_from_url("s3://b1/a/b/")["OPTIONS"]["location"] == "a/b"


def test_booleans_and_numbers_are_coerced():
    options = private_storage_from_url(
        "s3://b1?use_ssl=false&gzip=1&verify=no&max_memory_size=1048576"
        "&connect_timeout=2.5&read_timeout=30&max_attempts=4"
    )["OPTIONS"]
    assert options["use_ssl"] is False and options["gzip"] is True and options["verify"] is False
    assert options["max_memory_size"] == 1048576
    assert options["connect_timeout"] == 2.5 and options["max_attempts"] == 4
    assert private_storage_from_url("s3://b1?verify=/etc/ca.pem")["OPTIONS"]["verify"] == (
        "/etc/ca.pem"
    )


def test_a_value_of_the_wrong_kind_is_refused_naming_the_option():
    assert "use_ssl" in refused("s3://b1?use_ssl=maybe")
    assert "max_memory_size" in refused("s3://b1?max_memory_size=lots")
    assert "connect_timeout" in refused("s3://b1?connect_timeout=-1")
    assert "region_name" in refused("s3://b1?region_name=")


def test_an_unknown_option_is_refused_naming_it():
    assert "'regoin_name'" in refused("s3://b1?regoin_name=us-east-1")


def test_an_option_given_twice_is_refused():
    assert "region_name is given twice" in refused("s3://b1?region_name=a&region_name=b")


def test_credentials_are_never_taken_from_the_url():
    assert "AWS_ACCESS_KEY_ID" in refused("s3://b1?access_key=AKIA&secret_key=x")
    assert "no credentials" in refused("s3://AKIA:secret@b1/documents")


def test_a_public_acl_is_refused_and_private_sends_no_acl_header():
    assert "default_acl can only be private" in refused("s3://b1?default_acl=public-read")
    assert "default_acl" not in private_storage_from_url("s3://b1?default_acl=private")["OPTIONS"]


def test_overwriting_keys_is_refused():
    assert "file_overwrite cannot be true" in refused("s3://b1?file_overwrite=true")
    private_storage_from_url("s3://b1?file_overwrite=false")


def test_url_options_are_refused_as_files_are_never_handed_out_by_url():
    for name in ("custom_domain=cdn.example.net", "querystring_auth=true", "url_protocol=http:"):
        assert "never hands out URLs" in refused(f"s3://b1?{name}")


def test_encryption_is_requested_unless_the_url_names_another():
    def parameters(query: str) -> dict:
        return private_storage_from_url(f"s3://b1?{query}")["OPTIONS"]["object_parameters"]

    assert parameters("") == {"ServerSideEncryption": "AES256"}
    assert parameters("server_side_encryption=aws:kms&sse_kms_key_id=alias/sca") == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "alias/sca",
    }
    assert parameters("server_side_encryption=none") == {}
    assert "server_side_encryption must be one of" in refused(
        "s3://b1?server_side_encryption=rot13"
    )
    assert "needs server_side_encryption=aws:kms" in refused("s3://b1?sse_kms_key_id=k")


def test_only_s3_urls_with_a_bucket():
    assert "s3:// URL" in refused("https://sca-private.s3.amazonaws.com/documents")
    assert "bucket" in refused("s3:///documents")
    assert "no port" in refused("s3://b1:9000/documents")


def test_every_option_named_here_is_one_of_the_backends_settings(settings):
    from storages.backends.s3 import S3Storage

    known = set(S3Storage().get_default_settings())
    named = set(URL_OPTIONS) | set(REFUSED_OPTIONS) | {"default_acl", "file_overwrite"}
    # Each of S3Storage's settings is either settable from the URL or refused with a reason;
    # a new django-storages release with a new setting fails here until it is decided.
    assert named == known
    assert not set(CLIENT_OPTIONS) & known  # the timeouts are core.s3.PrivateS3Storage's own


def test_the_backend_holds_its_rules_whatever_it_is_given():
    from core.s3 import PrivateS3Storage

    storage = PrivateS3Storage(
        bucket_name="b1", default_acl="public-read", file_overwrite=True, connect_timeout=2
    )
    assert storage.default_acl is None and storage.file_overwrite is False
    assert storage.querystring_auth is False and storage.custom_domain is None
    assert storage.client_config.connect_timeout == 2
    assert storage.client_config.retries == {"mode": "standard", "max_attempts": 3}
    # The stored type follows the key the app chose, not what the browser declared.
    assert storage._get_write_parameters("consents/1/a.pdf")["ContentType"] == "application/pdf"


def client_error(status: int, code: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject"
    )


def test_faults_are_told_apart():
    assert storage_fault(FileNotFoundError("gone")) == "missing"
    assert storage_fault(client_error(404, "NoSuchKey")) == "missing"
    assert storage_fault(client_error(404, "404")) == "missing"
    assert storage_fault(client_error(404, "NoSuchBucket")) == "unavailable"
    assert storage_fault(client_error(503, "SlowDown")) == "unavailable"
    assert storage_fault(client_error(500, "InternalError")) == "unavailable"
    assert storage_fault(client_error(403, "AccessDenied")) == "unavailable"
    assert storage_fault(EndpointConnectionError(endpoint_url="http://x")) == "unavailable"
    assert storage_fault(ReadTimeoutError(endpoint_url="http://x")) == "unavailable"
    assert storage_fault(ConnectionRefusedError()) == "unavailable"
    assert storage_fault(StorageUnavailable("down")) == "unavailable"
    assert storage_fault(ValueError("a bug")) is None
    # Outside storage code a builtin ConnectionError may be anything's (the mail server's).
    assert object_storage_fault(ConnectionRefusedError()) is None


@pytest.mark.parametrize(
    "endpoint",
    ["http://KEY:SECRET@127.0.0.1:9000", "not a url", "ftp://s3.example.net", "http://"],
)
def test_an_endpoint_must_be_an_http_address_without_credentials(endpoint):
    with pytest.raises(ImproperlyConfigured, match="endpoint_url"):
        private_storage_from_url(f"s3://bucket/p?endpoint_url={endpoint}")


@pytest.mark.parametrize("timeout", ["inf", "1e9", "0", "nan"])
def test_timeouts_are_bounded(timeout):
    with pytest.raises(ImproperlyConfigured, match="connect_timeout"):
        private_storage_from_url(f"s3://bucket/p?connect_timeout={timeout}")
