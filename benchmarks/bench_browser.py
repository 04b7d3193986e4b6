"""Page loads in headless Chromium: one browser kept per process vs a browser launched per page.

    .venv/bin/python benchmarks/bench_browser.py [--pages 12] [--driver playwright|selenium|both]

Both modes load the same demo dashboard pages in one process, in alternating blocks; the ratio is why
the dashboard suite keeps one browser per worker and gives each page a fresh context.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_autoheal.components.dashboard.browser import browser_unavailable, close_browsers, open_page
from pytest_autoheal.components.dashboard.config import DashboardConfig
from pytest_autoheal.components.dashboard.server import start_dashboard

PAGES = ("/", "/tools", "/about")


def timed(url: str, driver: str, relaunch: bool) -> float:
    started = time.perf_counter()
    result = open_page(url, driver=driver, timeout=15, settle=0)
    if relaunch:
        close_browsers()
    if result.load_error or result.page_errors:
        raise SystemExit(f"{url}: {result.load_error or result.page_errors}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--driver", choices=("playwright", "selenium", "both"), default="both")
    args = parser.parse_args()
    drivers = ("playwright", "selenium") if args.driver == "both" else (args.driver,)
    for driver in drivers:
        reason = browser_unavailable(driver)
        if reason:
            print(f"{driver}: unavailable: {reason}", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        cfg = DashboardConfig(command=["autoheal-demo-dashboard", "--port", "{port}"], ready_path="/api/status")
        dashboard = start_dashboard(cfg, base_dir=Path(tmp), log_path=Path(tmp) / "dashboard.log", env={"AUTOHEAL_REPORT_DIR": tmp})
        try:
            print(f"{'driver':<11} {'mode':<22} {'pages':>5} {'median s':>9} {'total s':>8}")
            for driver in drivers:
                kept: list[float] = []
                fresh: list[float] = []
                # Blocks, not interleaved: a relaunch would close the kept browser. Two rounds of each against drift.
                for _ in range(2):
                    timed(dashboard.url("/"), driver, relaunch=False)  # launch the kept browser outside the timing
                    for i in range(args.pages // 2):
                        kept.append(timed(dashboard.url(PAGES[i % len(PAGES)]), driver, relaunch=False))
                    close_browsers()
                    for i in range(args.pages // 2):
                        fresh.append(timed(dashboard.url(PAGES[i % len(PAGES)]), driver, relaunch=True))
                for mode, values in (("one browser, new context", kept), ("browser per page", fresh)):
                    print(f"{driver:<11} {mode:<22} {len(values):>5} {statistics.median(values):>9.3f} {sum(values):>8.2f}")
                print(f"{driver:<11} {'ratio per page / kept':<22} {'':>5} {statistics.median(fresh) / statistics.median(kept):>8.1f}x")
        finally:
            dashboard.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
