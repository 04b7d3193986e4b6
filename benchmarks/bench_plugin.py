"""Plugin overhead and cost per failure, measured side by side in one run.

    .venv/bin/python benchmarks/bench_plugin.py [--tests 2000] [--failures 1000] [--repeat 5]

Overhead: 2,000 trivial passing tests, plugin on vs ``-p no:autoheal`` (median of N, alternating).
Cost per failure: 1,000 failing tests (each writes a record) minus the same run with the plugin off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_suite(folder: Path, n: int, failing: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = "    assert i < 0, f'value {i} should be negative'\n" if failing else "    assert i >= 0\n"
    per_file = 100
    for f in range(0, n, per_file):
        count = min(per_file, n - f)
        (folder / f"test_gen_{f // per_file:03d}.py").write_text(
            "import pytest\n\n"
            f"@pytest.mark.parametrize('i', range({count}))\n"
            "def test_case(i):\n" + body
        )
    (folder / "pytest.ini").write_text("[pytest]\n")


# Both sides run with bytecode caching on, as pytest runs for users; a set PYTHONDONTWRITEBYTECODE
# would make every run recompile whichever side's modules changed last.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(folder: Path, plugin: bool) -> float:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly", "--tb=no"]
    args += ["-p", "autoheal", f"--autoheal-dir={folder / 'reports'}"] if plugin else ["-p", "no:autoheal"]
    started = time.perf_counter()
    subprocess.run(args, cwd=folder, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def measure(folder: Path, repeat: int) -> tuple[float, float]:
    # One warm-up run of each side (bytecode and template caches), not counted.
    run(folder, plugin=False)
    run(folder, plugin=True)
    on, off = [], []
    for _ in range(repeat):
        off.append(run(folder, plugin=False))
        on.append(run(folder, plugin=True))
    return statistics.median(on), statistics.median(off)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        passing = Path(tmp) / "passing"
        failing = Path(tmp) / "failing"
        write_suite(passing, args.tests, failing=False)
        write_suite(failing, args.failures, failing=True)
        on, off = measure(passing, args.repeat)
        fon, foff = measure(failing, args.repeat)
        records = len(list((failing / "reports" / "records").glob("*.json")))
    print(f"{'benchmark':<34}{'plugin on':>12}{'plugin off':>12}{'ratio':>9}  target")
    print(f"{f'{args.tests} passing tests (median of {args.repeat})':<34}{on:>11.3f}s{off:>11.3f}s{on / off:>9.3f}  <= 1.05")
    per_failure_ms = (fon - foff) / args.failures * 1000
    print(f"{f'{args.failures} failing tests (median of {args.repeat})':<34}{fon:>11.3f}s{foff:>11.3f}s{fon / foff:>9.3f}")
    print(f"cost per failure: {per_failure_ms:.2f} ms (target <= 5 ms); records written by the last run: {records}")


if __name__ == "__main__":
    main()
