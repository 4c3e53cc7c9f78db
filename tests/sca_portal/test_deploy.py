"""The deployment file keeps what operations rely on (docker is not available to run it here)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_defines_the_five_services_with_health_checks_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    redis_cmd = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_cmd and "--maxmemory-policy noeviction" in redis_cmd
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "migrate" in services["web"]["command"] and "gunicorn" in services["web"]["command"]
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
