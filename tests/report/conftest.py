"""Fixtures for the health report's tests: a real headless Chromium, and projects that fail on purpose."""

from __future__ import annotations

import base64
import os
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import chromium_path, playwright_browser

CHROMIUM = chromium_path() or "/usr/bin/chromium"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _no_ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The projects these tests run must not write into the real CI's step summary or annotations.
    for name in list(os.environ):
        if name.startswith("GITHUB_") or name == "CI":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}; install with: apt-get install -y chromium")
    # Shared with the dashboard suite's pages on this worker: a second sync Playwright would refuse to start.
    yield playwright_browser()


class PageWatch:
    """A page with every console error, uncaught error and dialog it produced."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts = []

    def opener(path: Path) -> PageWatch:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        watch = PageWatch(context.new_page())
        watch.page.goto(path.resolve().as_uri())
        watch.page.wait_for_load_state("load")
        return watch

    yield opener
    for c in contexts:
        c.close()


def png_bytes(width: int = 64, height: int = 40, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real, decodable PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PNG_B64 = base64.b64encode(png_bytes()).decode("ascii")

FAILING_PROJECT = f'''
import base64
import pytest

PNG = base64.b64decode("{PNG_B64}")


@pytest.mark.level("smoke")
@pytest.mark.component("cli")
@pytest.mark.target("demo-cli")
def test_cli_help():
    pass


@pytest.mark.level("smoke")
@pytest.mark.component("cli")
@pytest.mark.target("demo-cli report")
def test_cli_report_divides():
    total = 0
    print("stdout says {HOSTILE_SCRIPT}")
    assert 10 / total


@pytest.mark.level("comprehensive")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("pdf_tools")
@pytest.mark.target("pdf_merge")
def test_tool_pdf_merge():
    raise ValueError("tool said {HOSTILE_SCRIPT} and {HOSTILE_IMG} **bold** [x](http://evil)")


@pytest.mark.level("comprehensive")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("text_tools")
def test_tool_upper():
    pass


@pytest.mark.level("smoke")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("text_tools")
def test_tool_skipped():
    pytest.skip("not configured")


@pytest.mark.level("browser")
@pytest.mark.component("dashboard")
@pytest.mark.target("/settings")
def test_page_settings(autoheal_record, tmp_path):
    shot = tmp_path / "settings.png"
    shot.write_bytes(PNG)
    autoheal_record.attach("screenshot", shot)
    autoheal_record.extras["url"] = "http://127.0.0.1:1/settings"
    autoheal_record.extras["screenshot"] = str(shot)
    raise RuntimeError("console error on /settings: TypeError: x is undefined")


@pytest.mark.level("stress")
@pytest.mark.component("mcp_tools")
@pytest.mark.category("text_tools")
def test_stress_upper(autoheal_record):
    autoheal_record.metrics["latency"] = {{"p50": 0.012, "p95": 0.045, "max": 0.2}}
    autoheal_record.metrics["error_rate"] = 0.0
'''
