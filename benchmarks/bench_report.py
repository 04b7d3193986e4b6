"""Health report at scale: 10,000 failure records in 500 fingerprints, rendered from disk.

    .venv/bin/python benchmarks/bench_report.py [--records 10000] [--fingerprints 500] [--history 200] [--no-browser]

Prints the wall and CPU time to load and render (``autoheal report`` does the same work) and the file size
against the targets (10 s, 10 MB), then opens the page in headless Chromium and prints how long
it takes to load and how many clusters are visible (the page shows 50 at a time; the rest are
paged and every cluster is collapsed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_autoheal import store
from pytest_autoheal.frames import Frame
from pytest_autoheal.record import ErrorInfo, TestInfo, build_record
from pytest_autoheal.report import render
from pytest_autoheal.report.history import History, run_entry

TIME_TARGET = 10.0
SIZE_TARGET = 10 * 1024 * 1024
COMPONENTS = ("cli", "mcp_tools", "js_sdk", "dashboard")


def make_records(report_dir: Path, n: int, fingerprints: int, run: dict) -> list[dict]:
    rng = random.Random(7)
    tests = []
    for i in range(n):
        fp = i % fingerprints
        component = COMPONENTS[fp % 4]
        nodeid = f"suites/{component}/test_gen_{fp:03d}.py::test_case[{i}]"
        frames = [
            Frame(
                module=f"platform.mod{fp}",
                function=f"handler_{fp}",
                file=f"/src/platform/mod{fp}.py",
                line=10 + fp,
                source=f"x = y / z{fp}",
            )
        ]
        traceback = "\n".join(f'  File "/src/platform/mod{fp}.py", line {k}, in handler_{fp}\n    step_{k}()' for k in range(30))
        rec = build_record(
            test=TestInfo(nodeid=nodeid, component=component, category=f"cat{fp % 12}", level="comprehensive", target=f"target{fp}"),
            error=ErrorInfo(
                type=f"Error{fp}",
                message=f"failure {fp} on item {i}: value {rng.randint(0, 10**6)} out of range",
                frames=frames,
                traceback=traceback + f"\nError{fp}: failure {fp}",
                stdout="progress line\n" * 80,
                stderr=f"warning: retrying request {i}\n" * 40,
            ),
            run=run,
        )
        store.write_json(store.record_path(report_dir, rec["id"]), rec, indent=None)
        tests.append({"nodeid": nodeid, "outcome": "failed", "component": component, "category": f"cat{fp % 12}", "level": "comprehensive",
                      "record_ids": [rec["id"]], "duration": 0.01})  # fmt: skip
    return tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=500)
    parser.add_argument("--history", type=int, default=200, help="earlier runs in the history")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        report_dir = Path(tmp) / "reports"
        run = {"id": "bench-run", "url": "https://github.com/acme/platform/actions/runs/1"}
        started = time.perf_counter()
        tests = make_records(report_dir, args.records, args.fingerprints, run)
        tests += [
            {"nodeid": f"suites/cli/test_ok.py::test_ok[{i}]", "outcome": "passed", "component": "cli", "level": "smoke"}
            for i in range(5000)
        ]
        figures = {"latency": {"p50": 0.01, "p95": 0.05, "max": 0.3}, "error_rate": 0.01}
        metrics = {f"suites/mcp_tools/test_stress.py::test_load[{i}]": figures for i in range(20)}
        run_json = {
            "run": run,
            "counts": {"failed": args.records, "passed": 5000},
            "total": len(tests),
            "tests": tests,
            "metrics": metrics,
            "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:10:00Z",
            "exit_status": 1,
        }
        store.write_json(report_dir / store.RUN_FILE, run_json, indent=None)
        history = History(report_dir / "history.sqlite", max_runs=args.history + 1)
        records = store.load_records([report_dir])
        base = run_entry(run_json, records)
        # Earlier runs go straight into the history's log; the database is built from it on first use.
        with open(history.log_path, "w", encoding="utf-8") as fh:
            for k in range(args.history):
                stamp = f"2025-12-{1 + k % 28:02d}T{k % 24:02d}:00:00Z"
                fh.write(json.dumps({**base, "run_id": f"earlier-{k}", "finished_at": stamp, "failed": k % 50}) + "\n")
        history.append(base)
        took = time.perf_counter() - started
        print(f"setup: {args.records} records in {args.fingerprints} fingerprints, {args.history} earlier runs ({took:.1f} s)")

        out = report_dir / "health.html"
        timings, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            runs = History(report_dir / "history.sqlite", max_runs=args.history + 1).runs()
            render.write_report([report_dir], out, history_runs=runs)
            timings.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        size = out.stat().st_size
        median, median_cpu = statistics.median(timings), statistics.median(cpu)
        print(f"{'':<30}{'measured':>12}{'target':>10}{'ratio':>8}")
        print(f"{'render wall time (median, s)':<30}{median:>12.2f}{TIME_TARGET:>10.1f}{median / TIME_TARGET:>8.2f}")
        print(f"{'render CPU time (median, s)':<30}{median_cpu:>12.2f}{TIME_TARGET:>10.1f}{median_cpu / TIME_TARGET:>8.2f}")
        print(f"{'file size (MB)':<30}{size / 1e6:>12.2f}{SIZE_TARGET / 1e6:>10.1f}{size / SIZE_TARGET:>8.2f}")
        ok = median < TIME_TARGET and size < SIZE_TARGET
        if not args.no_browser:
            ok = browse(out) and ok
        print("PASS" if ok else "OVER TARGET")
        return 0 if ok else 1


def browse(path: Path) -> bool:
    chromium = os.environ.get("AUTOHEAL_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        print(f"browser check skipped: no Chromium at {chromium}")
        return True
    from playwright.sync_api import sync_playwright

    flags = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=flags)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        loaded = time.perf_counter() - t0
        visible = page.locator("details.cluster:visible").count()
        total = page.locator("details.cluster").count()
        t1 = time.perf_counter()
        page.fill("#cluster-filter", "error499")
        filtered = page.locator("details.cluster:visible").count()
        filter_ms = (time.perf_counter() - t1) * 1000
        browser.close()
    print(f"chromium: loaded in {loaded:.2f} s; {visible} of {total} clusters visible (paged, collapsed)")
    print(f"chromium: filter typed, {filtered} cluster(s) shown in {filter_ms:.0f} ms")
    if errors:
        print(f"chromium errors: {json.dumps(errors[:5])}")
    return not errors and visible <= 50


if __name__ == "__main__":
    sys.exit(main())
