"""Benchmarks: the API under gunicorn (2 workers) on PostgreSQL with the scaled data, each
endpoint beside a bare-DRF baseline in the same run, measured with wrk. Writes
docs/PERFORMANCE.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_scale .venv/bin/python bench/run.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SCA_BENCH": "1",
    "TOKEN_THROTTLE_RATE": "100000/min",
    "LOG_LEVEL": "WARNING",
    "CELERY_BROKER_URL": "",
    # As deployed with several web processes: the shared cache holds the reports summary and
    # the sessions (read through it).
    "CACHE_URL": "redis://127.0.0.1:6379/3",
}


def setup_django():
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sca_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def session_for(user) -> str:
    """A signed-in browser session for the HTML pages, as the login form would make."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # Past its second factor, as production requires (MFA_REQUIRED_ROLES): django-otp's
    # middleware then loads the device on every page, which is part of what is measured.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return session.session_key


# Endpoints another change may not have added yet: measured when the route exists, else
# skipped with a note (a 404 on the first request).
OPTIONAL = {"task list", "task list (HTML)"}
# The mixed loads keep the endpoints of earlier sessions, so that their figures compare from
# one session to the next; the pages added since (issue 16) are measured on their own rows.
NOT_IN_MIX = ("client page", "task list")


def busiest_client(practice_id: int) -> int:
    """The practice's client with the most cases (an agreement among them when one has it):
    the client page at its heaviest."""
    from django.db.models import Count

    from cases.models import Case

    row = (
        Case.objects.filter(practice_id=practice_id)
        .values("client_id")
        .annotate(n=Count("id"), agreements=Count("agreement"))
        .order_by("-n", "-agreements", "client_id")
        .first()
    )
    return row["client_id"]


def targets() -> tuple[str, dict[str, str], dict]:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from cases.models import Case, Client

    user = get_user_model().objects.get(username="scale_billing_1")
    token = AuthToken.objects.create(user=user)[1]  # (row, key): knox keeps only a digest
    practice_id = user.memberships.get().practice_id
    case = (
        Case.objects.filter(practice_id=practice_id, status="in_negotiation")
        .order_by("-id")
        .first()
    )
    n_cases = Case.objects.filter(practice_id=practice_id).count()
    deep_page = max(1, int(n_cases / 25 * 0.9))
    client_id = busiest_client(practice_id)
    client_cases = Case.objects.filter(client_id=client_id).count()
    paths = {
        "case list, first page": "/api/v1/cases/",
        f"case list, deep page ({deep_page})": f"/api/v1/cases/?page={deep_page}",
        "case list, insurer + status": f"/api/v1/cases/?insurer={case.insurer_id}&status=approved",
        # The member-id search is a POST now (POST /api/v1/cases/search/ {"q": ...}: names stay
        # out of URLs, ?search= answers 400); report.lua sends GETs only, so it is not measured.
        "case detail": f"/api/v1/cases/{case.pk}/",
        "readiness": f"/api/v1/cases/{case.pk}/readiness/",
        "negotiation summary": f"/api/v1/cases/{case.pk}/negotiation/",
        "reports summary": "/api/v1/reports/summary/",
        "dashboard (HTML)": "/",
        "case list (HTML)": "/cases/",
        "case workspace (HTML)": f"/cases/{case.pk}/",
        f"client page, {client_cases} cases (HTML)": f"/clients/{client_id}/",
        "task list": "/api/v1/tasks/",
        "task list (HTML)": "/tasks/",
    }
    os.environ["BENCH_COOKIE"] = f"sessionid={session_for(user)}"
    facts = {
        "practice_cases": n_cases,
        "all_cases": Case.objects.count(),
        "clients": Client.objects.count(),
    }
    return token, paths, facts


def query_counts(token: str, paths: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    browser = Client()
    browser.cookies.load(os.environ["BENCH_COOKIE"])
    counts = {}
    for label, path in paths.items():
        # The steady state: a first request has filled the caches (the reports summary) and
        # written the session's sliding expiry (3 statements, at most once a minute).
        first = (api if path.startswith("/api/") else browser).get(path)
        if first.status_code == 404 and label in OPTIONAL:
            print(f"{label}: skipped, {path} answers 404 (no such route yet)", flush=True)
            continue
        with CaptureQueriesContext(connection) as ctx:
            response = (api if path.startswith("/api/") else browser).get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[label] = len(ctx.captured_queries)
    return counts


def wrk(token: str, paths: list[str], seconds: int, connections: int) -> dict:
    """wrk's summary: requests, rps, p50/p95/p99 in ms, errors and non-2xx responses."""
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_PATHS": "|".join(paths)}
    # The HTML pages authenticate with the session cookie, the API with the token.
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "report.lua"),
            f"http://127.0.0.1:{PORT}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_gunicorn(root: Path = ROOT) -> subprocess.Popen:
    """gunicorn with 2 sync workers serving the tree at ``root`` (bench/compare.py serves an
    earlier commit's worktree with the same virtualenv)."""
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "sca_portal.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env={**os.environ, **ENV},
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"gunicorn did not start in {root}")


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in open("/proc/cpuinfo")
            if ln.startswith("model name")
        ),
        "?",
    )
    mem = next((ln.split()[1] for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), "0")
    return f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--latency-seconds", type=int, default=5)
    parser.add_argument("--mixed-seconds", type=int, default=60)
    parser.add_argument("--mixed-connections", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument(
        "--only",
        help="measure only the endpoints whose label contains this text; prints, writes nothing",
    )
    args = parser.parse_args()
    setup_django()
    token, paths, facts = targets()
    if args.only:
        paths = {label: path for label, path in paths.items() if args.only in label}
    counts = query_counts(token, paths)
    paths = {label: path for label, path in paths.items() if label in counts}
    server = start_gunicorn()
    rows = []
    try:
        wrk(token, ["/api/v1/bench/baseline/"], 3, args.connections)  # warm-up
        for label, path in paths.items():
            # A page is compared with the baseline reached the same way: with the session.
            baseline = "/api/v1/bench/baseline/" + ("?via=session" if "(HTML)" in label else "")
            base = wrk(token, [baseline], args.seconds, args.connections)
            result = wrk(token, [path], args.seconds, args.connections)
            # Latency on its own: one connection, nothing queued behind other requests.
            result["alone_p50_ms"] = wrk(token, [path], args.latency_seconds, 1)["p50_ms"]
            rows.append((label, path, result, base))
            print(
                f"{label:<34} {counts[label]:>3} queries {result['rps']:>8.1f} rps "
                f"p50 {result['p50_ms']:>7.1f} ms  "
                f"alone {result['alone_p50_ms']:>6.1f} ms  "
                f"baseline {base['rps']:>7.1f} rps  ratio {result['rps'] / base['rps']:.2f}",
                flush=True,
            )
        if args.only:
            return
        mix = {label: p for label, p in paths.items() if not label.startswith(NOT_IN_MIX)}
        api_paths = [p for label, p in mix.items() if "(HTML)" not in label]
        mixed_api = wrk(token, api_paths, args.mixed_seconds, args.mixed_connections)
        print(f"mixed load, API: {mixed_api}", flush=True)
        mixed = wrk(token, list(mix.values()), args.mixed_seconds, args.mixed_connections)
        print(f"mixed load, API and pages: {mixed}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.only:
        return
    write_report(args, rows, {"API": mixed_api, "API and HTML pages": mixed}, counts, facts)


def write_report(args, rows, mixed, counts, facts) -> None:
    lines = [
        "# Performance",
        "",
        f"Measured {dt.date.today().isoformat()} by `bench/run.py` on {machine()}.",
        f"Data: `manage.py seed_scale --cases 100000` ({facts['all_cases']:,} cases, {facts['clients']:,} clients,",
        f"3 practices, 20 insurers); the benchmark user is a billing manager of a practice with {facts['practice_cases']:,} cases.",
        "The HTML pages (dashboard, case list, case workspace, client page, task list) are measured with a signed-in session",
        "(read through Redis, written at most once a minute: the sliding idle timeout), the API with a token.",
        "Server: gunicorn, 2 sync workers, PostgreSQL 15 and Redis (the cache) on the same machine.",
        f"Load: wrk, {args.connections} connections,",
        f"{args.seconds} s per endpoint, each beside a fresh run of the baseline (a bare DRF view with the same",
        "middleware and authentication returning a constant 25-row payload; reached with the token for",
        "the API rows and with the session cookie for the page rows).",
        "",
        "Queries are counted on a second request: the first of a minute also writes the session's",
        "sliding expiry (3 statements), and the first of a minute per practice computes the reports",
        "summary (3).",
        "",
        f'"alone" is the p50 with one connection ({args.latency_seconds} s): the latency of the endpoint itself,',
        f"without waiting behind the other {args.connections - 1} connections for one of the 2 workers.",
        "",
        "| endpoint | queries | req/s | p50 ms | p95 ms | p50 alone ms | errors | baseline req/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, _path, r, b in rows:
        lines.append(
            f"| {label} | {counts[label]} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['alone_p50_ms']:.1f} | "
            f"{r['errors'] + r['non2xx']} | {b['rps']:.0f} | {r['rps'] / b['rps']:.2f} |"
        )
    lines += [
        "",
        f"Mixed read load: {args.mixed_connections} connections for {args.mixed_seconds} s each, round-robin over the endpoints:",
        "",
        "| mix | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {m['requests']:,} | {m['rps']:.0f} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} | "
            f"{m['p99_ms']:.1f} | {m['errors'] + m['non2xx']} |"
            for name, m in mixed.items()
        ),
        "",
        "Re-run: load the data into a database of its own, then run the benchmark (about 10 minutes):",
        "",
        "```sh",
        "createdb sca_scale",
        "DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_scale .venv/bin/python manage.py migrate",
        "DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_scale .venv/bin/python manage.py seed_scale --cases 100000",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_scale .venv/bin/python bench/run.py",
        "```",
        "",
        "Timings are figures, not test assertions: the machine is shared and noisy. Query counts are",
        "asserted in the test suite (constant per page).",
    ]
    findings = ROOT / "bench" / "findings.md"
    text = "\n".join(lines) + "\n"
    if findings.exists():  # the hand-written analysis of the last run, kept beside the table
        text += findings.read_text()
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
