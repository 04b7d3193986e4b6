"""Helpers of the dashboard suite's tests: run the real suite on a real site through pytester."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable

from ..support.reports import read_records, toml_value

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "suites" / "dashboard"
BAD_SITE = Path(__file__).with_name("bad_site.py")


def run_suite(
    pytester: pytest.Pytester, dashboard: dict[str, Any], *args: str, timeout: float = 240, in_app: list[str] | None = None
) -> tuple[Any, list[dict[str, Any]], Path]:
    """Run suites/dashboard against ``dashboard`` (the [dashboard] table); returns result, records, report dir."""
    lines = [f"in_app = {toml_value(in_app)}"] if in_app else []
    lines += ["[dashboard]"] + [f"{k} = {toml_value(v)}" for k, v in dashboard.items()]
    cfg = pytester.path / "autoheal.toml"
    cfg.write_text("\n".join(lines) + "\n")
    (pytester.path / "pytest.ini").write_text("[pytest]\n")
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        str(SUITE),
        f"--autoheal-config={cfg}",
        f"--autoheal-dir={report}",
        f"--rootdir={pytester.path}",
        f"-c={pytester.path / 'pytest.ini'}",
        "-p",
        "no:cacheprovider",
        *args,
        timeout=timeout,
    )
    return result, read_records(report), report


def bad_site_command() -> list[str]:
    return [sys.executable, str(BAD_SITE), "--port", "{port}"]


@pytest.fixture
def needs_browser(request: pytest.FixtureRequest) -> str:
    driver = getattr(request, "param", "playwright")
    reason = browser_unavailable(driver)
    if reason:
        pytest.skip(reason)
    return driver
