"""Heal's API cost: requests per new and per known fingerprint, and reads per run as records grow.

    .venv/bin/python benchmarks/bench_heal.py [--fingerprints 20] [--records 100,1000,5000]

Drives ``autoheal heal`` through PyGithub against the local GitHub API server on 127.0.0.1
(tests/support/github_api.py) and counts the requests it saw. Targets: at most 6 writes per new
fingerprint, at most 1 per known one, reads per run that do not grow with the number of records.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_autoheal.commands import main as autoheal  # noqa: E402
from tests.heal.conftest import FAST_CONFIG, REPO, TOKEN, make_records  # noqa: E402
from tests.support.github_api import GithubApi  # noqa: E402


def heal(api: GithubApi, reports: Path, config: Path) -> tuple[int, int, float]:
    api.reset_log()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = autoheal(["heal", "--reports", str(reports), "--config", str(config)])
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"heal exited {code}")
    return len(api.writes()), len(api.reads()), elapsed


def scenario(records: int, fingerprints: int, work: Path, assign: bool) -> dict[str, tuple[int, int, float]]:
    api = GithubApi(token=TOKEN).start()
    try:
        api.add_repo(REPO)
        os.environ["GITHUB_TOKEN"] = TOKEN
        os.environ["GITHUB_API_URL"] = api.url
        config = work / f"heal-{records}.toml"
        config.write_text(FAST_CONFIG.format(repo=REPO, interval=0, cap=fingerprints, timeout=10, assign=str(assign).lower()))
        first, again = work / f"r{records}-a", work / f"r{records}-b"
        make_records(first, fingerprints=fingerprints, records=records, run_id="7001")
        make_records(again, fingerprints=fingerprints, records=records, run_id="7002")
        return {
            "new": heal(api, first, config),
            "repeat": heal(api, first, config),
            "recurrence": heal(api, again, config),
        }
    finally:
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fingerprints", type=int, default=20)
    parser.add_argument("--records", default="100,1000,5000")
    parser.add_argument("--assign", action="store_true", help="also assign the Copilot agent (one more write per new fingerprint)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.records.split(",")]
    fp = args.fingerprints
    print(f"heal against the local GitHub API server, {fp} fingerprints, Copilot assignment {'on' if args.assign else 'off'}")
    print(f"{'records':>8} {'run':<11} {'writes':>6} {'reads':>5} {'writes/fp':>9} {'seconds':>7}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            results[n] = scenario(n, fp, Path(tmp), args.assign)
            for name, (w, r, s) in results[n].items():
                print(f"{n:>8} {name:<11} {w:>6} {r:>5} {w / fp:>9.2f} {s:>7.2f}")
    per_new = max(results[n]["new"][0] / fp for n in sizes)
    per_known = max(max(results[n]["repeat"][0], results[n]["recurrence"][0]) / fp for n in sizes)
    reads = {n: results[n]["repeat"][1] for n in sizes}
    print()
    print(f"writes per new fingerprint:   {per_new:.2f}  (target <= 6)  {'ok' if per_new <= 6 else 'OVER'}")
    print(f"writes per known fingerprint: {per_known:.2f}  (target <= 1)  {'ok' if per_known <= 1 else 'OVER'}")
    growth = ", ".join(f"{n} records: {r}" for n, r in reads.items())
    flat = len(set(reads.values())) == 1
    print(f"reads per repeat run:         {growth}  ({'flat' if flat else 'GROWS'} with the number of records)")


if __name__ == "__main__":
    main()
