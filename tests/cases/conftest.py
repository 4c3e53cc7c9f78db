"""Object storage for the tests that need it: a real S3 API over HTTP (moto's server), never a
Python-level mock. CI starts one and says where (``.ci/run``: SCA_S3_ENDPOINT); a local run
starts its own for the session. Each test gets a fresh bucket as its private storage."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.storage import private_storage_from_url
from tests.conftest import require_service

REGION = "us-east-1"
PREFIX = "private"  # the key prefix (the URL's path), as a deploy would set one
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 (our own http URL)
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_endpoint():
    """The S3 server's URL: CI's, or a moto_server started here for the session."""
    if url := os.environ.get("SCA_S3_ENDPOINT"):
        require_service(f"S3 server at {url}", _answers(url))
        yield url
        return
    moto = Path(sys.executable).parent / "moto_server"
    require_service("S3 server (moto_server)", moto.exists())
    port = free_port()
    server = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        require_service("S3 server (moto_server)", _answers(url))
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Bucket:
    name: str
    url: str  # the PRIVATE_STORAGE_URL that points at it
    endpoint: str
    client: object  # a boto3 S3 client

    def key(self, name: str) -> str:
        return f"{PREFIX}/{name}"

    def objects(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return [o["Key"] for o in listed.get("Contents", [])]

    def head(self, name: str) -> dict:
        return self.client.head_object(Bucket=self.name, Key=self.key(name))

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=self.key(name))["Body"].read()


def use_private_storage(settings, url: str) -> None:
    """Make ``url`` this test's private storage, as PRIVATE_STORAGE_URL does on a deploy."""
    from django.core.files.storage import storages
    from django.utils.functional import empty

    from cases.models.parts import private_storage

    settings.STORAGES = {**settings.STORAGES, "private": private_storage_from_url(url)}
    storages._storages.pop("private", None)
    private_storage._wrapped = empty


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """A fresh bucket, made the private storage for the test (its local PRIVATE_MEDIA_ROOT
    stays configured, and should stay empty)."""
    import boto3

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, os.environ.get(name, value))
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    bucket = Bucket(f"sca-test-{uuid.uuid4().hex[:16]}", "", s3_endpoint, client)
    client.create_bucket(Bucket=bucket.name)
    bucket.url = f"s3://{bucket.name}/{PREFIX}?endpoint_url={s3_endpoint}&region_name={REGION}"
    use_private_storage(settings, bucket.url)
    yield bucket
    for key in bucket.objects():
        client.delete_object(Bucket=bucket.name, Key=key)
    client.delete_bucket(Bucket=bucket.name)


def local_files(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
