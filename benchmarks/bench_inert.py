"""What the installed plugin costs a project that never asked for it, measured side by side in one run.

    .venv/bin/python benchmarks/bench_inert.py [--tests 2000] [--repeat 11] [--python PATH] [--instructions]

An unrelated project (its own pyproject.toml and ini, no ``[tool.autoheal]``, no autoheal option or
marker) is run with the plugin installed and loaded by its entry point (inert), and with
``-p no:autoheal`` (not loaded at all). N pairs run back to back in alternating order; the ratio is
the median of the pairs' ratios (wall time, and CPU time of the pytest process beside it). Rows: a
run of passing tests, the same under ``-n 2``, and ``pytest --help``. ``--python`` picks the
interpreter of the venv to measure (default: this one). ``--instructions`` also counts the
instructions each side executes (valgrind's callgrind, one run each, hash seed fixed), which no
load on the machine disturbs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PYPROJECT = """[project]
name = "unrelated"
version = "1.0"
dependencies = ["requests"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-p no:cacheprovider -p no:randomly"
"""

# Both sides run with bytecode caching on, as pytest runs for users.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("PYTEST_")}


def write_project(folder: Path, n: int) -> None:
    tests = folder / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    per_file = 100
    for f in range(0, n, per_file):
        count = min(per_file, n - f)
        (tests / f"test_gen_{f // per_file:03d}.py").write_text(
            f"import pytest\n\n@pytest.mark.parametrize('i', range({count}))\ndef test_case(i):\n    assert i >= 0\n"
        )


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system time of the pytest process and its children (xdist workers)


def run(python: str, folder: Path, args: list[str], plugin: bool) -> Sample:
    argv = [python, "-m", "pytest", "-q", *args] + ([] if plugin else ["-p", "no:autoheal"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=folder, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


@dataclass
class Result:
    inert: float
    off: float
    ratio: float
    cpu_ratio: float


def measure(python: str, folder: Path, args: list[str], repeat: int) -> Result:
    run(python, folder, args, plugin=False)
    run(python, folder, args, plugin=True)
    inert: list[Sample] = []
    off: list[Sample] = []
    for i in range(repeat):
        # Back to back, in alternating order: a pair shares the machine's load of the moment.
        if i % 2:
            inert.append(run(python, folder, args, plugin=True))
            off.append(run(python, folder, args, plugin=False))
        else:
            off.append(run(python, folder, args, plugin=False))
            inert.append(run(python, folder, args, plugin=True))
    return Result(
        inert=statistics.median(s.wall for s in inert),
        off=statistics.median(s.wall for s in off),
        ratio=statistics.median(a.wall / b.wall for a, b in zip(inert, off, strict=True)),
        cpu_ratio=statistics.median(a.cpu / b.cpu for a, b in zip(inert, off, strict=True)),
    )


def instructions(python: str, folder: Path, args: list[str], plugin: bool, env: dict[str, str] | None = None) -> int:
    argv = [python, "-m", "pytest", "-q", *args] + ([] if plugin else ["-p", "no:autoheal"])
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=folder,
        env={**ENV, **(env or {}), "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found:
        raise SystemExit(f"callgrind gave no count: {done.stderr[-500:]}")
    return int(found.group(1))


def write_options_only(folder: Path) -> str:
    """A stand-in plugin that registers exactly the plugin's options and ini keys and does nothing else.

    ``pytest --help`` lists whatever a plugin registers; this is the floor any plugin with those options pays.
    """
    from pytest_autoheal import plugin

    calls: list[str] = []

    class Recorder:
        def getgroup(self, *args: object) -> Recorder:
            calls.append(f"group = parser.getgroup(*{args!r})")
            return self

        def addoption(self, *args: object, **kwargs: object) -> None:
            calls.append(f"group.addoption(*{args!r}, **{kwargs!r})")

        def addini(self, *args: object, **kwargs: object) -> None:
            calls.append(f"parser.addini(*{args!r}, **{kwargs!r})")

    plugin.pytest_addoption(Recorder())  # type: ignore[arg-type]
    (folder / "autoheal_options_only.py").write_text("def pytest_addoption(parser):\n" + "".join(f"    {c}\n" for c in calls))
    return "autoheal_options_only"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--python", default=sys.executable, help="interpreter of the venv where the plugin is installed")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with valgrind (slow)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind: apt-get install -y valgrind")
    rows = [
        (f"{args.tests} passing tests", []),
        (f"{args.tests} passing tests, -n 2", ["-n", "2"]),
        ("pytest --help", ["--help"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "unrelated"
        write_project(folder, args.tests)
        results = [(label, measure(args.python, folder, extra, args.repeat)) for label, extra in rows]
        counted, floor = [], None
        if args.instructions:
            for label, extra in (rows[0], rows[2]):
                counted.append((label, instructions(args.python, folder, extra, True), instructions(args.python, folder, extra, False)))
            stand_in = Path(tmp) / "stand-in"
            stand_in.mkdir()
            module = write_options_only(stand_in)
            floor = instructions(args.python, folder, ["--help", "-p", module], False, env={"PYTHONPATH": str(stand_in)})
        leftovers = sorted(p.name for p in folder.rglob("*") if "autoheal" in p.name)
    title = f"unrelated project (median of {args.repeat})"
    print(f"{title:<34}{'inert':>10}{'-p no:autoheal':>16}{'ratio':>8}{'CPU ratio':>11}  target")
    for label, r in results:
        print(f"{label:<34}{r.inert:>9.3f}s{r.off:>15.3f}s{r.ratio:>8.3f}{r.cpu_ratio:>11.3f}  <= 1.01")
    for label, inert, off in counted:
        print(f"{label + ' (instructions)':<34}{inert / 1e9:>9.3f}G{off / 1e9:>15.3f}G{inert / off:>8.4f}{'':>11}  <= 1.01")
    if floor is not None:
        off = counted[-1][2]
        label = "pytest --help, options only"
        note = "floor: a stand-in that only registers the same options"
        print(f"{label + ' (instructions)':<34}{floor / 1e9:>9.3f}G{off / 1e9:>15.3f}G{floor / off:>8.4f}{'':>11}  {note}")
    print(f"files the inert plugin left: {leftovers or 'none'}")
    print("ratio: median of the paired ratios (each pair run back to back); CPU: user + system time of pytest and its workers")


if __name__ == "__main__":
    main()
