"""Documents throughput: N request letters asked for through the API (gunicorn, 2 workers) and
rendered by 1, then 2 Celery worker processes (each ``--concurrency=1``) on Redis. Reports
documents per minute, p50/p95 from request to ready, failures, and documents rendered twice.

    .venv/bin/python bench/documents.py                     # --n 200 --rounds 3, local disk
    .venv/bin/python bench/documents.py --n 20 --rounds 1   # a smoke run
    .venv/bin/python bench/documents.py --s3                # PRIVATE_STORAGE_URL, AWS_* from env

The data lives in its own PostgreSQL database (``--database``, default ``sca_bench_docs``),
created, migrated and seeded here (a practice, N + 4 cases with services and searches) and
reused by later runs (``--fresh`` makes it again). A document is only created when none of its
kind is queued or rendering for the case: each letter of a run has its own case. Runs
alternate 1 worker, 2 workers, 1, 2 ... (``--rounds``): the machine drifts 10-35 % between
hours, so only runs side by side compare. Each run's workers first render two warm-up letters
each (fonts, templates, imports), not counted.

Request to ready is the document's ``rendered_at`` minus its ``created_at``, both written by
the app; documents per minute spans the first request to the last ready. A document rendered
twice is one with more than one ``document_ready`` event or more than one file written for it.
Target (issue 19): 2 workers at least 1.7x one worker on 2 cores, 0 failures, 0 rendered twice.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PORT = 8766
WARMUP_PER_WORKER = 2
USERNAME = "bench_docs"
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "TOKEN_THROTTLE_RATE": "100000/min",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "sca_portal.settings",
}

sys.path.insert(0, str(Path(__file__).parent))
from pdf import percentile  # noqa: E402  (bench/pdf.py: the same p95 as the other benchmarks)
from run import machine  # noqa: E402  (bench/run.py's description of the machine)


def environment(args: argparse.Namespace, private_root: str) -> dict[str, str]:
    """One environment for this process, gunicorn and the workers: the same database, broker,
    cache and private storage."""
    env = {**os.environ, **ENV, "DATABASE_URL": args.database, "CELERY_BROKER_URL": args.broker}
    env.update(CACHE_URL=args.cache, PRIVATE_MEDIA_ROOT=private_root)
    if args.s3:
        if not env.get("PRIVATE_STORAGE_URL"):
            raise SystemExit("--s3: set PRIVATE_STORAGE_URL (and AWS_ACCESS_KEY_ID/SECRET)")
    else:
        env.pop("PRIVATE_STORAGE_URL", None)  # local disk, whatever the shell has
    return env


# ----------------------------------------------------------------------------- the database


def prepare_database(args: argparse.Namespace, env: dict[str, str], *, drop: bool) -> None:
    """The dedicated database, made (again, with ``drop``) and migrated."""
    import psycopg2

    url = urllib.parse.urlsplit(args.database)
    name = url.path.lstrip("/")
    conn = psycopg2.connect(urllib.parse.urlunsplit(url._replace(path="/postgres")))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            if drop:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"creating database {name}", flush=True)
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def seeded_cases() -> int | None:
    """The bench user's cases, or None when the database has no bench user."""
    from django.contrib.auth import get_user_model

    from cases.models import Case

    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:
        return None
    return Case.objects.filter(practice__memberships__user=user).count()


def seed(n: int) -> tuple[list[int], list[int], str]:
    """(warm-up case ids, measured case ids, an API token) for the bench's user."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from cases.models import Case
    from tests.factories import (
        BillingCodeFactory,
        CaseFactory,
        InsurerFactory,
        MembershipFactory,
        NetworkSearchFactory,
        PracticeFactory,
        RatePolicyFactory,
        RequestedServiceFactory,
        UserFactory,
    )

    wanted = n + 2 * WARMUP_PER_WORKER
    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:  # a new database (main makes it again when it has too few cases)
        practice = PracticeFactory(name="Bright Path ABA")
        user = UserFactory(username=USERNAME)
        MembershipFactory(practice=practice, user=user, role="staff")
        insurer = InsurerFactory(name="Evergreen Health Plan")
        RatePolicyFactory(practice=practice, insurer=insurer)
        codes = [BillingCodeFactory(code=code) for code in ("97153", "97155", "97156")]
        print(f"seeding {wanted} cases", flush=True)
        for _ in range(wanted):
            case = CaseFactory(practice=practice, insurer=insurer, initiated_by="practice")
            for code in codes:
                RequestedServiceFactory(case=case, billing_code=code)
            NetworkSearchFactory.create_batch(2, case=case)
    practice_id = user.memberships.get().practice_id
    ids = list(
        Case.objects.filter(practice_id=practice_id).order_by("id").values_list("pk", flat=True)
    )
    token = AuthToken.objects.create(user=user)[1]  # (row, key): knox keeps only a digest
    return ids[: wanted - n], ids[wanted - n : wanted], token


def private_backend() -> str:
    """The private storage's class, as the app resolves it (disk, or S3 from the URL)."""
    from django.core.files.storage import storages

    backend = type(storages["private"])
    return f"{backend.__module__}.{backend.__qualname__}"


# ----------------------------------------------------------------------------- processes


def start_gunicorn(env: dict[str, str]) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "sca_portal.wsgi:application", "-w", "2",
               "-b", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null",
               "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    """``count`` worker processes of one pool process each; returns once all answer a ping."""
    from sca_portal.celery import app

    command = [str(BIN / "celery"), "-A", "sca_portal", "--quiet", "worker", "--concurrency=1",
               "--loglevel=WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip
    procs = [
        subprocess.Popen([*command, "-n", f"bench-docs-{i}@%h"], cwd=ROOT, env=env)
        for i in range(1, count + 1)
    ]
    for _ in range(120):
        if len(app.control.ping(timeout=0.5)) >= count:
            return procs
    stop(procs)
    raise SystemExit(f"{count} worker(s) did not start")


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()  # a warm shutdown: the run is over, nothing is in flight
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        proc.kill()  # nothing when it has stopped


# ----------------------------------------------------------------------------- one run


def api(token: str, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own URL)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def request_letters(token: str, case_ids: list[int]) -> tuple[list[int], int]:
    """The new documents' ids and how many requests did not create one."""

    def one(case_id: int) -> int | None:
        path = f"/api/v1/cases/{case_id}/documents/"
        code, body = api(token, "POST", path, {"kind": "request_letter"})
        return json.loads(body)["id"] if code == 202 else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(one, case_ids))
    return [i for i in ids if i is not None], sum(i is None for i in ids)


def wait_done(ids: list[int], timeout: float) -> None:
    from cases.models import ACTIVE_STATUSES, Document

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Document.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).exists():
            return
        time.sleep(0.25)


def stored_files(case_ids: list[int]) -> int:
    """Files under the cases' documents/ folders in the private storage (disk or bucket)."""
    from cases.models.parts import private_storage

    count = 0
    for case_id in case_ids:
        with contextlib.suppress(FileNotFoundError):  # no document written yet
            count += len(private_storage.listdir(f"documents/{case_id}")[1])
    return count


def run_once(workers: int, env: dict[str, str], token: str, warm: list[int], cases: list[int],
             timeout: float) -> dict:  # fmt: skip
    from cases.models import ACTIVE_STATUSES, CaseEvent, Document
    from sca_portal.celery import app

    Document.objects.filter(case_id__in=warm + cases, status__in=ACTIVE_STATUSES).update(
        status="failed", error="bench: left by an interrupted run"
    )
    app.control.purge()
    load = os.getloadavg()[0]  # the machine's business before the run: other work skews it
    procs = start_workers(workers, env)
    try:
        warm_ids, _ = request_letters(token, warm[: WARMUP_PER_WORKER * workers])
        wait_done(warm_ids, timeout)
        files_before = stored_files(cases)
        started = time.monotonic()
        ids, refused = request_letters(token, cases)
        posted_s = time.monotonic() - started
        wait_done(ids, timeout)
    finally:
        stop(procs)
    docs = list(Document.objects.filter(pk__in=ids))
    ready = [d for d in docs if d.status == "ready"]
    latencies = [(d.rendered_at - d.created_at).total_seconds() for d in ready]
    span = max(d.rendered_at for d in ready) - min(d.created_at for d in docs) if ready else None
    events = CaseEvent.objects.filter(kind="document_ready", data__document__in=ids)
    ready_events: dict[int, int] = {}
    for document_id in events.values_list("data__document", flat=True):
        ready_events[document_id] = ready_events.get(document_id, 0) + 1
    twice = sum(count > 1 for count in ready_events.values())
    files = stored_files(cases) - files_before
    return {
        "workers": workers,
        "load": load,
        "documents": len(cases),
        "ready": len(ready),
        "per_minute": len(ready) / span.total_seconds() * 60 if span else 0.0,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "render_ms": statistics.median(d.render_ms for d in ready) if ready else float("nan"),
        "posted_s": posted_s,
        "failures": refused + len(docs) - len(ready),
        "twice": max(twice, files - len(ready), 0),
        "retried": sum(d.attempts > 1 for d in docs),
        "files": files,
        "download_ok": bool(ready) and download_matches(token, ready[-1]),
    }


def download_matches(token: str, document) -> bool:
    """One document read back through the API (tenant check, access log, storage): its bytes
    match the hash the worker recorded."""
    code, body = api(token, "GET", f"/api/v1/documents/{document.pk}/download/")
    return code == 200 and hashlib.sha256(body).hexdigest() == document.sha256


# ----------------------------------------------------------------------------- report


def report(args: argparse.Namespace, runs: list[dict], storage: str) -> None:
    print(f"\nMeasured {dt.date.today().isoformat()} by `bench/documents.py` on {machine()}.")
    print(
        f"{args.n} request letters per run through the API (gunicorn, 2 workers), {args.rounds} "
        f"round(s) alternating 1 and 2 Celery worker processes (--concurrency=1 each) on Redis; "
        f"PostgreSQL; private files in `{storage}`.\n"
    )
    columns = "round | workers | ready | docs/min | p50 s | p95 s | render ms p50 | requests s | "
    columns += "failures | rendered twice | retried | files written | download | load 1 min"
    print(f"| {columns} |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for i, run in enumerate(runs):
        print(
            f"| {i // 2 + 1} | {run['workers']} | {run['ready']}/{run['documents']} | "
            f"{run['per_minute']:.0f} | {run['p50']:.1f} | {run['p95']:.1f} | "
            f"{run['render_ms']:.0f} | {run['posted_s']:.1f} | {run['failures']} | "
            f"{run['twice']} | {run['retried']} | {run['files']} | "
            f"{'sha256 ok' if run['download_ok'] else 'MISMATCH'} | {run['load']:.1f} |"
        )
    one = [r["per_minute"] for r in runs if r["workers"] == 1]
    two = [r["per_minute"] for r in runs if r["workers"] == 2]
    ratios = [b / a for a, b in zip(one, two, strict=False) if a]
    if ratios:
        print(
            f"\n2 workers against 1, round by round: "
            f"{', '.join(f'{r:.2f}x' for r in ratios)}; median {statistics.median(ratios):.2f}x "
            f"(target: at least 1.7x on 2 cores). Median docs/min: 1 worker "
            f"{statistics.median(one):.0f}, 2 workers {statistics.median(two):.0f}."
        )
    print(
        f"Failures: {sum(r['failures'] for r in runs)}. "
        f"Documents rendered twice: {sum(r['twice'] for r in runs)}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="letters per run (one per case)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs: 1 then 2 workers")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/sca_bench_docs")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--s3", action="store_true", help="private files in PRIVATE_STORAGE_URL")
    parser.add_argument("--fresh", action="store_true", help="make the database again")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run, at most")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sca-bench-docs-") as private_root:
        env = environment(args, private_root)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django
        from django.db import connection

        django.setup()
        prepare_database(args, env, drop=args.fresh)
        have = seeded_cases()
        if have is not None and have < args.n + 2 * WARMUP_PER_WORKER:
            connection.close()  # seeded for a smaller N: seed again from nothing
            prepare_database(args, env, drop=True)
        storage = private_backend()
        if args.s3 and storage.endswith("FileSystemStorage"):
            raise SystemExit(f"--s3: the private storage is still {storage} (PRIVATE_STORAGE_URL)")
        warm, cases, token = seed(args.n)
        web = start_gunicorn(env)
        runs = []
        try:
            for _ in range(args.rounds):
                for workers in (1, 2):
                    run = run_once(workers, env, token, warm, cases, args.timeout)
                    runs.append(run)
                    print(f"{workers} worker(s): {run['per_minute']:.0f}/min", flush=True)
        finally:
            web.terminate()
            web.wait(timeout=30)
    report(args, runs, storage)


if __name__ == "__main__":
    main()
