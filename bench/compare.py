"""Before and after in the same run: the mixed read loads against an earlier commit and the
working tree, alternating, so the machine's drift (10-35% between hours here) falls on both.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_scale \
        .venv/bin/python bench/compare.py 8056009 --seconds 30 --rounds 2

The earlier commit is checked out in a temporary git worktree and served by the same
virtualenv and environment (bench/run.py's: Redis cache, 2 gunicorn workers); each tree reads
it with its own settings. The data and the endpoints are those of bench/run.py.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

import run as bench


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ref", help="the earlier commit to compare with the working tree")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    bench.setup_django()
    token, paths, _facts = bench.targets()
    api = [p for label, p in paths.items() if "(HTML)" not in label]
    mixes = {"API": api, "API and HTML pages": list(paths.values())}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), args.ref],
                       cwd=bench.ROOT, check=True)  # fmt: skip
        try:
            trees = {args.ref: old, "working tree": bench.ROOT}
            results: dict[tuple[str, str], list[dict]] = {}
            for _ in range(args.rounds):
                for name, root in trees.items():
                    server = bench.start_gunicorn(root)
                    try:
                        bench.wrk(token, ["/api/v1/bench/baseline/"], 3, 10)  # warm-up
                        for mix, mix_paths in mixes.items():
                            r = bench.wrk(token, mix_paths, args.seconds, args.connections)
                            results.setdefault((mix, name), []).append(r)
                            print(f"{name:<14} {mix:<20} {r['rps']:>6.0f} req/s  "
                                  f"p50 {r['p50_ms']:>6.0f}  p95 {r['p95_ms']:>6.0f} ms  "
                                  f"errors {r['errors'] + r['non2xx']}", flush=True)  # fmt: skip
                    finally:
                        server.terminate()
                        server.wait(timeout=30)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=bench.ROOT)
    print(
        f"\n| mix | code | req/s | p95 ms | errors |  ({args.rounds} rounds of "
        f"{args.seconds} s, {args.connections} connections; the median of the rounds)"
    )
    print("|---|---|---:|---:|---:|")
    for (mix, name), runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p95 = statistics.median(r["p95_ms"] for r in runs)
        errors = sum(r["errors"] + r["non2xx"] for r in runs)
        print(f"| {mix} | {name} | {rps:.0f} | {p95:.0f} | {errors} |")


if __name__ == "__main__":
    main()
