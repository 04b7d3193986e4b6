"""Analysing a large CI log: cost against only reading it, and how it grows with the log.

    .venv/bin/python benchmarks/bench_analyze.py [--steps 40] [--noise 5000]

Builds an Actions-style log of ``steps`` steps, each with ``noise`` lines of ordinary output and
one real pytest report (a small project run once with the plugin on), then times in one process:
splitting the text into lines, stripping the Actions framing (clean_lines), and the whole
analysis into records (analyse_text), with its throughput. Doubling the log shows whether the
cost stays linear. Records with one id (the same test in every step) are
kept once by the command; analyse_text returns them all.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_autoheal.analyze import analyse_text, log_run
from pytest_autoheal.logparse import clean_lines

PROJECT = {
    "calc.py": "def ratio(a, b):\n    return a / b\n",
    "test_calc.py": (
        "from calc import ratio\n\n\ndef test_zero():\n    assert ratio(1, 0)\n\n\n"
        "def test_assert():\n    assert ratio(4, 2) == 3\n\n\ndef test_key():\n    {}['missing']\n"
    ),
}


def pytest_output() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in PROJECT.items():
            (Path(tmp) / name).write_text(text)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--autoheal-dir={tmp}/reports"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
    return done.stdout.splitlines()


def build_log(report: list[str], steps: int, noise: int) -> str:
    stamp = "2026-11-25T10:00:00.1234567Z "
    lines = []
    for step in range(steps):
        lines += [f"{stamp}##[group]Run step {step}", f"{stamp}##[endgroup]"]
        lines += [f"{stamp}\x1b[32mok\x1b[0m building part {k} of step {step} in 0.{k % 97}s" for k in range(noise)]
        lines += [stamp + line for line in report]
        lines.append(f"{stamp}##[error]Process completed with exit code 1.")
    return "\n".join(lines) + "\n"


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--noise", type=int, default=5000)
    args = parser.parse_args()
    report = pytest_output()
    print(f"{'log':>22}  {'lines':>9}  {'MB':>6}  {'splitlines':>10}  {'clean_lines':>11}  {'analyse':>8}  {'records':>7}  {'MB/s':>6}")
    for factor in (1, 2):
        text = build_log(report, args.steps * factor, args.noise)
        run = log_run(text)
        split = best(lambda text=text: text.splitlines())
        clean = best(lambda text=text: clean_lines(text))
        whole = best(lambda text=text, run=run: analyse_text(text, run=run))
        records = analyse_text(text, run=run)
        label = f"{args.steps * factor} steps x {args.noise}"
        print(
            f"{label:>22}  {len(text.splitlines()):>9}  {len(text) / 1e6:>6.1f}  {split:>9.3f}s  {clean:>10.3f}s  {whole:>7.3f}s"
            f"  {len(records):>7}  {len(text) / 1e6 / whole:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
