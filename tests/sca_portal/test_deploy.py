"""The deployment file keeps what operations rely on (docker is not available to run it here)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_defines_the_services_with_health_checks_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {
        "db", "redis", "s3", "s3-init", "migrate", "web", "worker", "beat", "proxy"
    }  # fmt: skip
    redis_cmd = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_cmd and "--maxmemory-policy noeviction" in redis_cmd
    for name in ("db", "redis", "s3", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"] and "beat" in services["beat"]["command"]
    assert {"pgdata", "redisdata", "private"} <= set(compose["volumes"])
    # the app containers wait for healthy database and broker, and share the private volume
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert "private:/data/private" in services[name]["volumes"]
    # several web processes share one cache (throttling counts, reports, sessions read through it)
    environment = compose["x-app"]["environment"]
    assert environment["CACHE_URL"].startswith("redis://redis:6379/")
    assert environment["CACHE_URL"] != environment["CELERY_BROKER_URL"]
    # access logs without query strings
    assert "%(U)s" in services["web"]["command"] and "%(r)s" not in services["web"]["command"]


def test_compose_migrates_in_a_one_off_before_web_worker_and_beat():
    """Several web containers (or hosts) migrating at start would race: one ``migrate`` runs,
    and the app services start only once it has succeeded."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert "manage.py migrate --noinput" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    assert "migrate" not in str(services["web"]["command"])
    assert "migrate" not in (ROOT / "Dockerfile").read_text()
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["s3-init"]["condition"] == "service_completed_successfully", name


def test_compose_keeps_private_files_in_a_versioned_bucket():
    """Sent packets are evidence: the bucket is made with versioning on, and the app's
    services read and write it (credentials from the environment, never the file)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["s3"]["image"].startswith("chrislusf/seaweedfs:")
    assert services["s3"]["command"][:2] == ["server", "-s3"]
    assert "ports" not in services["s3"]  # reached on the compose network only
    init = services["s3-init"]
    script = " ".join(init["command"])
    assert init["image"].startswith("amazon/aws-cli")
    assert init["depends_on"]["s3"]["condition"] == "service_healthy"
    assert "create-bucket" in script
    assert "put-bucket-versioning" in script and "Status=Enabled" in script
    assert "get-bucket-versioning" in script  # and checked, or the app does not start
    environment = compose["x-app"]["environment"]
    url = environment["PRIVATE_STORAGE_URL"]
    assert url.startswith("s3://") and "endpoint_url=http://s3:8333" in url
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert environment[name].startswith("${" + name + ":?"), name
        assert services["s3"]["environment"][name] == environment[name]
    assert "s3data" in compose["volumes"]


def test_compose_puts_a_tls_proxy_in_front_and_gunicorn_behind_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    proxy, web = compose["services"]["proxy"], compose["services"]["web"]
    assert proxy["image"] == "caddy:2"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert {"caddydata", "caddyconfig"} <= set(compose["volumes"])
    # only the proxy reaches gunicorn, and the app reads the one hop it appends
    assert "ports" not in web
    assert web["environment"]["PROXY_COUNT"] == "1"
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")  # the shared env kept


def test_caddyfile_serves_tls_limits_bodies_and_proxies_to_gunicorn():
    from django.conf import settings

    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$SITE_ADDRESS:localhost} {" in caddyfile  # Caddy's internal CA for localhost
    assert "reverse_proxy web:8000" in caddyfile
    max_size = re.search(r"max_size \{\$REQUEST_BODY_MAX_SIZE:(\d+)MB\}", caddyfile)
    assert max_size, "request_body { max_size ... }"
    # one file at the limit and the form's fields get through to the app, which names the limit
    room = settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert int(max_size.group(1)) * 1024 * 1024 >= room


def test_check_deploy_passes_with_production_settings_and_debug_unset():
    """Production is what you get by not asking for development: DEBUG unset."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PROXY_COUNT"}
    }
    env = {
        **clean,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "sca.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://u@127.0.0.1:5432/db"),
        "PROXY_COUNT": "1",
    }
    if not env["DATABASE_URL"].startswith("postgres"):
        env["DATABASE_URL"] = "postgres://u@127.0.0.1:5432/db"
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
