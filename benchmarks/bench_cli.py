"""The CLI suite's costs: start-up latency of each demo CLI variant, and the monitor's memory on a 100 MB flood.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 5] [--concurrency 1,4] [--flood-mb 100]

Part 1 runs each variant's ``--help`` through the suite's own stress check (the figures the
stress level records) next to a bare ``python -c pass``. Part 2 runs a CLI that prints
``--flood-mb`` MB, once read by the suite's runner and once by ``subprocess.run(capture_output=True)``,
each in a fresh process, and prints the peak RSS of the reading process side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_autoheal.components.cli import checks  # noqa: E402
from pytest_autoheal.components.cli.config import CliConfig, CliStress  # noqa: E402
from pytest_autoheal.components.cli.discover import resolve_targets  # noqa: E402
from pytest_autoheal.config import load_config  # noqa: E402

FLOOD = "import sys\nchunk = b'x' * (1024 * 1024)\nfor _ in range({mb}):\n    sys.stdout.buffer.write(chunk)\n"
READER = """
import json, resource, subprocess, sys
sys.path.insert(0, {root!r})
argv = [sys.executable, "-c", {flood!r}]
if sys.argv[1] == "runner":
    from pytest_autoheal import runner
    result = runner.run(argv, timeout=120)
    size = result.stdout_size
else:
    size = len(subprocess.run(argv, capture_output=True, timeout=120, check=False).stdout)
print(json.dumps({{"bytes": size, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def startup(repeat: int, concurrencies: list[int]) -> None:
    cfg = load_config(ROOT)
    assert cfg.cli is not None, "the root pyproject.toml has no [tool.autoheal.cli]"
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        bare = f'[tool.autoheal.cli]\nvariants = [{{ command = ["{sys.executable}", "-c", "pass"], name = "python -c pass" }}]\n'
        (Path(tmp) / "pyproject.toml").write_text(bare)
        baseline = resolve_targets(load_config(tmp))[0]
        print(f"{'variant':<28}{'conc':>5}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'rss MB':>8}{'p50 / bare python':>19}")
        for conc in concurrencies:
            base = None
            for target in [baseline, *resolve_targets(cfg)]:
                command = [] if target is baseline else ["--help"]
                r = checks.stress(CliConfig(), target, CliStress(commands=[command], concurrency=conc, repeat=repeat))
                if r.errors:
                    raise SystemExit(f"{target.name}: {r.errors} of {r.runs} runs failed")
                base = base or r.p50_ms
                rss = f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb else "-"
                ratio = r.p50_ms / base
                print(f"{target.name:<28}{conc:>5}{r.runs:>6}{r.p50_ms:>9.0f}{r.p95_ms:>9.0f}{r.max_ms:>9.0f}{rss:>8}{ratio:>18.1f}x")


def flood(mb: int) -> None:
    code = READER.format(root=str(ROOT), flood=FLOOD.format(mb=mb))
    rows = {}
    for how in ("runner", "subprocess.run"):
        out = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, timeout=300, check=True).stdout
        rows[how] = json.loads(out)
    print(f"\n{mb} MB on stdout: peak RSS of the reading process")
    for how, row in rows.items():
        print(f"  {how:<16}{row['peak_rss_mb']:>8.0f} MB   (saw {row['bytes'] / 1024 / 1024:.0f} MB)")
    print(f"  ratio subprocess.run / runner: {rows['subprocess.run']['peak_rss_mb'] / rows['runner']['peak_rss_mb']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", default="1,4")
    parser.add_argument("--flood-mb", type=int, default=100)
    args = parser.parse_args()
    startup(args.repeat, [int(c) for c in args.concurrency.split(",")])
    flood(args.flood_mb)


if __name__ == "__main__":
    main()
