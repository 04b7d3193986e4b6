"""MCP smoke on a tree of the seed's shape (340 tool modules in 50 categories, a package that prints
a banner and takes half a second to import, a dispatcher server), side by side:

    .venv/bin/python benchmarks/bench_mcp_tree.py [--tools 340] [--categories 50] [--workers 2]

"preload on": ``pytest --autoheal-level=smoke -n WORKERS`` on the MCP suite as configured by
default: the importer of each worker imports the tool modules' parent packages once, and each
forked import pays only for its own module. "preload off": the same with
``import_preload_packages = false``: each forked import pays for the whole package again.
"import_preload = [package]": preloading off, but the platform's package named in
``import_preload`` (the manual way to the same saving).
"fresh interpreter": each file imported in a new ``python -c "import ..."``, WORKERS at a
time, as a monitor without a fork server would (only the import check, not the rest of smoke).
Targets: smoke with preload within 60 s, and at least 5 times faster than fresh interpreters.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_autoheal.components.mcp_tools.discovery import tool_files  # noqa: E402
from pytest_autoheal.components.mcp_tools.loading import module_name  # noqa: E402
from tests.support.reports import toml_value  # noqa: E402
from tests.support.seedlike import SeedTree, dispatch_config, generate  # noqa: E402

IMPORT_TIMEOUT = 3.0


def _config(root: Path, tree: SeedTree, preload: bool, configured: list[str] | None = None) -> Path:
    mcp = {
        "command": [sys.executable, str(tree.server)],
        "env": {"PYTHONPATH": str(tree.repo)},
        "cwd": str(tree.repo),
        "tools_dir": str(tree.tools_dir),
        "import_timeout": IMPORT_TIMEOUT,
        "startup_timeout": 120,
        "import_preload_packages": preload,
        "import_preload": configured or [],
    }
    lines = ["[tool.autoheal]", "[tool.autoheal.mcp]", *(f"{k} = {toml_value(v)}" for k, v in mcp.items())]
    lines += ["[tool.autoheal.mcp.dispatch]", *(f"{k} = {toml_value(v)}" for k, v in dispatch_config().items())]
    path = root / f"autoheal-{'on' if preload else 'off'}-{len(configured or [])}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_smoke(root: Path, tree: SeedTree, workers: int, preload: bool, configured: list[str] | None = None) -> tuple[float, float, str]:
    config = _config(root, tree, preload, configured)
    reports = root / f"reports-{config.stem}"
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suites" / "mcp_tools"), f"--rootdir={ROOT}", f"--autoheal-config={config}"]
    argv += [f"--autoheal-dir={reports}", "--autoheal-level=smoke", "-n", str(workers), "-q", "-p", "no:cacheprovider"]
    before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=root)
    seconds = time.perf_counter() - started
    tail = [line for line in done.stdout.splitlines() if " in " in line and ("passed" in line or "failed" in line)]
    return seconds, _children_cpu() - before, (tail[-1] if tail else done.stdout[-500:]).strip("= ")


def run_fresh(tree: SeedTree, workers: int) -> tuple[float, float, int, int]:
    files = tool_files(tree.tools_dir)
    env = {**os.environ, "PYTHONPATH": str(tree.repo), "PYTHONDONTWRITEBYTECODE": "1"}

    def one(path: Path) -> bool:
        _, name = module_name(path, boundary=tree.repo)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", f"import {name}"], capture_output=True, cwd=tree.repo, env=env, timeout=IMPORT_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0

    before = _children_cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, [f.path for f in files]))
    return time.perf_counter() - started, _children_cpu() - before, sum(results), len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=340)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mcp-tree-") as tmp:
        root = Path(tmp)
        tree = generate(root, tools=args.tools, categories=args.categories)
        # The default is measured first and last, around the others: the shared machine's load drifts.
        first = run_smoke(root, tree, args.workers, preload=True)
        off_s, off_cpu, off_summary = run_smoke(root, tree, args.workers, preload=False)
        cfg_s, cfg_cpu, cfg_summary = run_smoke(root, tree, args.workers, preload=False, configured=["seedpkg.mcp_server"])
        fresh_s, fresh_cpu, ok, total = run_fresh(tree, args.workers)
        last = run_smoke(root, tree, args.workers, preload=True)
        on_s, on_cpu, on_summary = (first[0] + last[0]) / 2, (first[1] + last[1]) / 2, last[2]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"tree: {len(tree.files)} tool modules in {len(tree.categories)} categories, {len(tree.broken)} broken; "
            f"{args.workers} workers; load average {load}"
        )
        runs = f"first and last run {first[0]:.1f} s, {last[0]:.1f} s"
        print(f"smoke, preload on  (-n {args.workers}):   {on_s:7.1f} s   CPU {on_cpu:7.1f} s   [{on_summary}; {runs}]")
        print(f"smoke, preload off (-n {args.workers}):   {off_s:7.1f} s   CPU {off_cpu:7.1f} s   [{off_summary}]")
        print(f"smoke, import_preload = [package]: {cfg_s:7.1f} s   CPU {cfg_cpu:7.1f} s   [{cfg_summary}]")
        print(f"fresh interpreter per file ({args.workers} at once): {fresh_s:7.1f} s   CPU {fresh_cpu:7.1f} s   [{ok}/{total} import]")
        print(f"ratio fresh / preload on: {fresh_s / on_s:.1f}x wall, {fresh_cpu / on_cpu:.1f}x CPU (target >= 5x)")
        print(f"ratio preload off / on:   {off_s / on_s:.1f}x wall, {off_cpu / on_cpu:.1f}x CPU")
        print(f"smoke with preload within 60 s: {'yes' if on_s <= 60 else 'NO'}")


if __name__ == "__main__":
    main()
