"""Plugin overhead and cost per failure, measured side by side in one run.

    .venv/bin/python benchmarks/bench_plugin.py [--tests 2000] [--failures 1000] [--repeat 5]

Overhead: 2,000 trivial passing tests, plugin on vs ``-p no:autoheal``: N pairs run back to back in
alternating order; the ratio is the median of the pairs' ratios (wall time, and CPU time of the
pytest process beside it).
Cost per failure: 1,000 failing tests (each writes a record) minus the same run with the plugin off.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system time of the pytest process


def run(folder: Path, plugin: bool) -> Sample:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly", "--tb=no"]
    args += ["-p", "autoheal", f"--autoheal-dir={folder / 'reports'}"] if plugin else ["-p", "no:autoheal"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, cwd=folder, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


@dataclass
class Result:
    on: float  # median wall time, plugin on
    off: float  # median wall time, plugin off
    ratio: float  # median of the paired wall-time ratios
    cpu_ratio: float  # median of the paired CPU-time ratios


def measure(folder: Path, repeat: int) -> Result:
    # One warm-up run of each side (bytecode and template caches), not counted.
    run(folder, plugin=False)
    run(folder, plugin=True)
    on: list[Sample] = []
    off: list[Sample] = []
    for i in range(repeat):
        # Back to back, in alternating order: a pair shares the machine's load of the moment.
        if i % 2:
            on.append(run(folder, plugin=True))
            off.append(run(folder, plugin=False))
        else:
            off.append(run(folder, plugin=False))
            on.append(run(folder, plugin=True))
    return Result(
        on=statistics.median(s.wall for s in on),
        off=statistics.median(s.wall for s in off),
        ratio=statistics.median(a.wall / b.wall for a, b in zip(on, off, strict=True)),
        cpu_ratio=statistics.median(a.cpu / b.cpu for a, b in zip(on, off, strict=True)),
    )


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
        passed = measure(passing, args.repeat)
        failed = measure(failing, args.repeat)
        records = len(list((failing / "reports" / "records").glob("*.json")))
    print(f"{'benchmark':<34}{'plugin on':>11}{'plugin off':>12}{'ratio':>8}{'CPU ratio':>11}  target")
    label = f"{args.tests} passing tests (median of {args.repeat})"
    print(f"{label:<34}{passed.on:>10.3f}s{passed.off:>11.3f}s{passed.ratio:>8.3f}{passed.cpu_ratio:>11.3f}  <= 1.05")
    label = f"{args.failures} failing tests (median of {args.repeat})"
    print(f"{label:<34}{failed.on:>10.3f}s{failed.off:>11.3f}s{failed.ratio:>8.3f}{failed.cpu_ratio:>11.3f}")
    per_failure_ms = (failed.on - failed.off) / args.failures * 1000
    print(f"cost per failure: {per_failure_ms:.2f} ms (target <= 5 ms); records written by the last run: {records}")
    print("ratio: median of the paired ratios (each pair run back to back); CPU: user + system time of the pytest process")


if __name__ == "__main__":
    main()
