"""Open a page in real headless Chromium and collect what went wrong in it.

Both drivers run Debian's ``/usr/bin/chromium`` (Playwright through ``executable_path``,
Selenium through ``/usr/bin/chromedriver``); nothing is downloaded. One browser is kept per
process (launching costs about a second) and each page gets a fresh context. A script
installed before the page's own scripts reports uncaught errors and unhandled rejections,
so both drivers tell the two apart the same way.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DRIVERS = ("playwright", "selenium")
INSTALL_HINT = "install with: apt-get install -y chromium chromium-driver"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
)
VIEWPORT = (1280, 800)
# Kept per page so a page that logs in a loop cannot fill memory.
MAX_ENTRIES = 200

_WATCH_SCRIPT = """
(() => {
  if (window.__autohealWatching) return;
  window.__autohealWatching = true;
  window.__autohealEvents = [];
  const send = (event) => {
    if (window.__autohealEvents.length < 200) window.__autohealEvents.push(event);
    try { if (typeof window.__autohealReport === 'function') window.__autohealReport(event); } catch (_) {}
  };
  const describe = (value) => {
    if (value instanceof Error) return {name: value.name, message: String(value.message), stack: String(value.stack || '')};
    let text;
    try { text = typeof value === 'string' ? value : JSON.stringify(value); } catch (_) { text = String(value); }
    return {name: value === null ? 'null' : typeof value, message: String(text), stack: ''};
  };
  window.addEventListener('error', (ev) => {
    const info = ev.error !== undefined && ev.error !== null ? describe(ev.error) : {name: 'Error', message: String(ev.message), stack: ''};
    send({kind: 'error', ...info, source: ev.filename || '', line: ev.lineno || 0, column: ev.colno || 0, url: location.href});
  });
  window.addEventListener('unhandledrejection', (ev) => {
    send({kind: 'unhandled_rejection', ...describe(ev.reason), source: '', line: 0, column: 0, url: location.href});
  });
})();
"""


@dataclass
class PageResult:
    """What one page load showed: the page's errors, its console, its requests and a screenshot."""

    url: str
    driver: str
    final_url: str = ""
    status: int | None = None
    title: str = ""
    console: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[dict[str, Any]] = field(default_factory=list)
    failed_requests: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[dict[str, Any]] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    scripts: list[Any] = field(default_factory=list)
    screenshot: str | None = None
    load_error: str | None = None
    timed_out: bool = False
    duration: float = 0.0

    @property
    def uncaught_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.page_errors if e.get("kind") == "error"]

    @property
    def unhandled_rejections(self) -> list[dict[str, Any]]:
        return [e for e in self.page_errors if e.get("kind") == "unhandled_rejection"]

    def console_errors(self, allow: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Console messages of type ``error`` that no allow-list regex matches."""
        compiled = [re.compile(a) for a in allow]
        return [m for m in self.console if m.get("type") == "error" and not any(rx.search(m.get("text", "")) for rx in compiled)]

    def navigated_away(self) -> bool:
        """The page ended on another document than the one asked for (fragments aside)."""
        final = (self.final_url or self.url).split("#", 1)[0]
        return bool(self.final_url) and final != self.url.split("#", 1)[0] and final.rstrip("/") != self.url.split("#", 1)[0].rstrip("/")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def chromium_path() -> str | None:
    """The Chromium binary: ``$AUTOHEAL_CHROMIUM`` when set (and only it), else Debian's, else ``chromium`` on PATH."""
    if os.environ.get("AUTOHEAL_CHROMIUM"):
        return os.environ["AUTOHEAL_CHROMIUM"] if os.access(os.environ["AUTOHEAL_CHROMIUM"], os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def chromedriver_path() -> str | None:
    if os.environ.get("AUTOHEAL_CHROMEDRIVER"):
        return os.environ["AUTOHEAL_CHROMEDRIVER"] if os.access(os.environ["AUTOHEAL_CHROMEDRIVER"], os.X_OK) else None
    for candidate in ("/usr/bin/chromedriver", shutil.which("chromedriver")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@lru_cache(maxsize=4)
def _chromium_runs(path: str) -> str | None:
    from ...runner import run

    result = run([path, "--version"], timeout=30)
    if not result.ok:
        return f"{path} --version failed ({result.describe()}): {result.text('stderr').strip()[:200]}"
    return None


def browser_unavailable(driver: str = "playwright") -> str | None:
    """None when ``driver`` can run headless Chromium here; else the reason and how to install it."""
    if driver not in DRIVERS:
        return f"unknown browser driver {driver!r}; use one of: {', '.join(DRIVERS)}"
    try:
        if driver == "playwright":
            import playwright.sync_api  # noqa: F401
        else:
            import selenium.webdriver  # noqa: F401
    except ImportError:
        return f"the {driver} package is not installed; install with: pip install 'pytest-autoheal[browser]'"
    path = chromium_path()
    if path is None:
        where = os.environ.get("AUTOHEAL_CHROMIUM") or "/usr/bin/chromium and chromium on PATH"
        return f"no Chromium found (looked for {where}); {INSTALL_HINT}"
    if driver == "selenium" and chromedriver_path() is None:
        where = os.environ.get("AUTOHEAL_CHROMEDRIVER") or "/usr/bin/chromedriver and chromedriver on PATH"
        return f"no chromedriver found (looked for {where}); {INSTALL_HINT}"
    broken = _chromium_runs(path)
    if broken:
        return f"Chromium does not start: {broken}; {INSTALL_HINT}"
    return None


def open_page(
    url: str,
    *,
    driver: str = "playwright",
    timeout: float = 15.0,
    settle: float = 0.5,
    screenshot_path: str | Path | None = None,
    scripts: Sequence[str] = (),
) -> PageResult:
    """Load ``url`` and report what happened; loading, each script and the screenshot are each bounded by ``timeout``.

    ``scripts`` are JavaScript expressions or functions (``"() => ..."``, async allowed),
    evaluated in the page after it loaded; each result (or ``{"error": ...}``) is in ``scripts``.
    Dialogs are dismissed and recorded. A page that does not finish loading gets ``timed_out``.
    """
    reason = browser_unavailable(driver)
    if reason:
        raise RuntimeError(reason)
    started = time.monotonic()
    if screenshot_path is not None:
        Path(screenshot_path).parent.mkdir(parents=True, exist_ok=True)
    opener = _open_playwright if driver == "playwright" else _open_selenium
    result = opener(url, timeout=timeout, settle=settle, screenshot_path=screenshot_path, scripts=scripts)
    result.duration = round(time.monotonic() - started, 3)
    return result


def close_browsers() -> None:
    """Close this process's browsers (also done at exit)."""
    _Playwright.close()
    _Selenium.close()


def _script_source(script: str, ms: int) -> str:
    """A function source that evaluates ``script`` and gives up after ``ms`` milliseconds."""
    body = script.strip()
    is_function = re.match(r"(async\s+)?(function\b|\([^)]*\)\s*=>|\w+\s*=>)", body) is not None
    call = f"({body})()" if is_function else f"({body})"
    return (
        "() => Promise.race([Promise.resolve().then(() => " + call + "), "
        f"new Promise((_, reject) => setTimeout(() => reject(new Error('script did not finish within {ms} ms')), {ms}))])"
    )


def _is_favicon(url: str) -> bool:
    """The browser asks for /favicon.ico on its own; a missing one is not the page's error."""
    return url.split("?", 1)[0].endswith("/favicon.ico")


def _add(items: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    if len(items) < MAX_ENTRIES:
        items.append(entry)


def _merge_page_errors(result: PageResult, events: list[dict[str, Any]], fallback: list[dict[str, Any]]) -> None:
    """Errors from the watch script first; errors only the driver saw are added as uncaught."""
    seen: set[tuple[str, str]] = set()
    for e in events:
        key = (e.get("kind", "error"), str(e.get("message", ""))[:500])
        if key not in seen:
            seen.add(key)
            _add(result.page_errors, {k: e.get(k) for k in ("kind", "name", "message", "stack", "source", "line", "column", "url")})
    messages = {m for _, m in seen}
    for e in fallback:
        msg = str(e.get("message", ""))[:500]
        if not msg and seen:
            continue
        if msg not in messages and not any(msg and (msg in m or m in msg) for m in messages if m):
            messages.add(msg)
            _add(result.page_errors, e)


class _Playwright:
    pw: Any = None
    browser: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.browser is None or not cls.browser.is_connected():
            cls.close()
            from playwright.sync_api import sync_playwright

            cls.pw = sync_playwright().start()
            cls.browser = cls.pw.chromium.launch(executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS))
            atexit.register(cls.close)
        return cls.browser

    @classmethod
    def close(cls) -> None:
        with contextlib.suppress(Exception):
            if cls.browser is not None:
                cls.browser.close()
        with contextlib.suppress(Exception):
            if cls.pw is not None:
                cls.pw.stop()
        cls.browser = cls.pw = None


def playwright_browser() -> Any:
    """This process's one Playwright Chromium (Playwright's sync API allows one instance per thread)."""
    return _Playwright.get()


def _open_playwright(url: str, *, timeout: float, settle: float, screenshot_path: str | Path | None, scripts: Sequence[str]) -> PageResult:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    result = PageResult(url=url, driver="playwright")
    events: list[dict[str, Any]] = []
    driver_errors: list[dict[str, Any]] = []
    context = _Playwright.get().new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]}, service_workers="block")
    try:
        context.set_default_timeout(timeout * 1000)
        context.expose_binding("__autohealReport", lambda _source, event: _add(events, dict(event)) if isinstance(event, dict) else None)
        context.add_init_script(_WATCH_SCRIPT)
        page = context.new_page()

        def on_console(msg: Any) -> None:
            loc = msg.location or {}
            if _is_favicon(loc.get("url", "")):
                return
            _add(result.console, {"type": msg.type, "text": msg.text, "source": loc.get("url", ""), "line": loc.get("lineNumber", 0)})

        def on_dialog(dialog: Any) -> None:
            _add(result.dialogs, {"type": dialog.type, "message": dialog.message})
            with contextlib.suppress(PlaywrightError):
                dialog.dismiss()

        def on_response(resp: Any) -> None:
            if resp.status >= 400 and not _is_favicon(resp.url):
                _add(result.failed_requests, {"url": resp.url, "method": resp.request.method, "status": resp.status, "failure": None})

        def on_request_failed(req: Any) -> None:
            _add(result.failed_requests, {"url": req.url, "method": req.method, "status": None, "failure": req.failure})

        def on_navigated(frame: Any) -> None:
            if frame == page.main_frame and len(result.navigations) < MAX_ENTRIES:
                result.navigations.append(frame.url)

        page.on("console", on_console)
        page.on(
            "pageerror",
            lambda exc: _add(
                driver_errors, {"kind": "error", "name": exc.name or "Error", "message": exc.message, "stack": exc.stack or ""}
            ),
        )
        page.on("dialog", on_dialog)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        page.on("framenavigated", on_navigated)
        try:
            response = page.goto(url, wait_until="load", timeout=timeout * 1000)
            result.status = response.status if response is not None else None
        except PlaywrightTimeout:
            result.timed_out = True
            result.load_error = f"the page did not finish loading within {timeout:g}s"
        except PlaywrightError as exc:
            result.load_error = str(exc.message).splitlines()[0]
        with contextlib.suppress(PlaywrightError):
            page.wait_for_timeout(settle * 1000)
        for script in scripts:
            try:
                result.scripts.append(page.evaluate(_script_source(script, int(timeout * 1000))))
            except PlaywrightError as exc:
                result.scripts.append({"error": str(exc.message).splitlines()[0]})
        result.final_url = page.url
        with contextlib.suppress(PlaywrightError):
            result.title = page.title()
        if screenshot_path is not None:
            try:
                page.screenshot(path=str(screenshot_path), timeout=min(timeout, 10) * 1000)
                result.screenshot = str(screenshot_path)
            except PlaywrightError:
                result.screenshot = None
    finally:
        with contextlib.suppress(Exception):
            context.close()
    _merge_page_errors(result, events, driver_errors)
    return result


class _Selenium:
    driver: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.driver is not None:
            try:
                cls.driver.current_url  # noqa: B018 - a cheap liveness probe
            except Exception:
                cls.close()
        if cls.driver is None:
            os.environ.setdefault("SE_OFFLINE", "true")
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service

            options = webdriver.ChromeOptions()
            options.binary_location = chromium_path() or "/usr/bin/chromium"
            for arg in ("--headless=new", *CHROMIUM_ARGS, f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}"):
                options.add_argument(arg)
            options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
            options.set_capability("unhandledPromptBehavior", "ignore")
            cls.driver = webdriver.Chrome(options=options, service=Service(chromedriver_path() or "/usr/bin/chromedriver"))
            cls.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH_SCRIPT})
            atexit.register(cls.close)
        return cls.driver

    @classmethod
    def close(cls) -> None:
        with contextlib.suppress(Exception):
            if cls.driver is not None:
                cls.driver.quit()
        cls.driver = None


def _dismiss_dialogs(driver: Any, result: PageResult) -> bool:
    from selenium.common.exceptions import NoAlertPresentException, WebDriverException

    found = False
    for _ in range(20):
        try:
            alert = driver.switch_to.alert
            text = alert.text
        except (NoAlertPresentException, WebDriverException):
            return found
        found = True
        _add(result.dialogs, {"type": "dialog", "message": text})
        with contextlib.suppress(WebDriverException):
            alert.dismiss()
    return found


def _selenium_call(driver: Any, result: PageResult, fn: Any, *args: Any) -> Any:
    """Call a driver command, dismissing (and recording) any dialog that blocks it."""
    from selenium.common.exceptions import UnexpectedAlertPresentException

    for _ in range(5):
        try:
            return fn(*args)
        except UnexpectedAlertPresentException as exc:
            if exc.alert_text:
                _add(result.dialogs, {"type": "dialog", "message": exc.alert_text})
            _dismiss_dialogs(driver, result)
    return fn(*args)


def _open_selenium(url: str, *, timeout: float, settle: float, screenshot_path: str | Path | None, scripts: Sequence[str]) -> PageResult:
    from selenium.common.exceptions import TimeoutException, WebDriverException

    result = PageResult(url=url, driver="selenium")
    driver = _Selenium.get()
    try:
        _fresh_page(driver)
        driver.set_page_load_timeout(timeout)
        driver.set_script_timeout(timeout)
        try:
            _selenium_call(driver, result, driver.get, url)
        except TimeoutException:
            result.timed_out = True
            result.load_error = f"the page did not finish loading within {timeout:g}s"
            with contextlib.suppress(WebDriverException):
                driver.execute_script("window.stop();")
        except WebDriverException as exc:
            result.load_error = (exc.msg or str(exc)).splitlines()[0]
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            _dismiss_dialogs(driver, result)
            time.sleep(0.05)
        _dismiss_dialogs(driver, result)
        for script in scripts:
            source = _script_source(script, int(timeout * 1000))
            wrapper = (
                "const done = arguments[arguments.length - 1];"
                f"({source})().then((value) => done({{value: value === undefined ? null : value}}),"
                " (err) => done({error: String(err && err.message || err)}));"
            )
            try:
                answer = _selenium_call(driver, result, driver.execute_async_script, wrapper)
                result.scripts.append(answer.get("value") if isinstance(answer, dict) and "value" in answer else answer)
            except WebDriverException as exc:
                result.scripts.append({"error": (exc.msg or str(exc)).splitlines()[0]})
        with contextlib.suppress(WebDriverException):
            result.final_url = _selenium_call(driver, result, lambda: driver.current_url)
            result.title = _selenium_call(driver, result, lambda: driver.title)
        events: list[dict[str, Any]] = []
        with contextlib.suppress(WebDriverException):
            events = _selenium_call(driver, result, driver.execute_script, "return window.__autohealEvents || [];") or []
        driver_errors = _read_selenium_logs(driver, result)
        if screenshot_path is not None:
            with contextlib.suppress(WebDriverException):
                if _selenium_call(driver, result, driver.save_screenshot, str(screenshot_path)):
                    result.screenshot = str(screenshot_path)
        _merge_page_errors(result, [e for e in events if isinstance(e, dict)], driver_errors)
    except WebDriverException:
        # The browser itself broke; start a fresh one for the next page.
        _Selenium.close()
        raise
    return result


def _fresh_page(driver: Any) -> None:
    """Blank page, no cookies, no storage and no log left over from the previous page."""
    driver.get("about:blank")
    with contextlib.suppress(Exception):
        driver.delete_all_cookies()
    for kind in ("browser", "performance"):
        with contextlib.suppress(Exception):
            driver.get_log(kind)


def _read_selenium_logs(driver: Any, result: PageResult) -> list[dict[str, Any]]:
    uncaught: list[dict[str, Any]] = []
    with contextlib.suppress(Exception):
        for entry in driver.get_log("browser"):
            text = str(entry.get("message", ""))
            level = str(entry.get("level", "INFO")).upper()
            kind = {"SEVERE": "error", "WARNING": "warning"}.get(level, "info")
            if entry.get("source") == "javascript" and " Uncaught" in text:
                message = text.split(" Uncaught", 1)[1].strip()
                kind_name = "unhandled_rejection" if message.startswith("(in promise)") else "error"
                message = message.removeprefix("(in promise)").strip()
                # "TypeError: x is null" as the page's error reads it: name and message apart, as Playwright gives them.
                named = re.match(r"^([A-Z][\w$]*(?:Error|Exception)): (.*)$", message, re.S)
                name, message = (named.group(1), named.group(2)) if named else ("Error", message)
                uncaught.append({"kind": kind_name, "name": name, "message": message, "stack": ""})
                continue
            if not _is_favicon(text.split(" ", 1)[0]):
                _add(result.console, {"type": kind, "text": text, "source": entry.get("source", ""), "line": 0})
    requests: dict[str, tuple[str, str]] = {}
    with contextlib.suppress(Exception):
        for entry in driver.get_log("performance"):
            message = json.loads(entry.get("message", "{}")).get("message", {})
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent":
                req = params.get("request", {})
                requests[params.get("requestId", "")] = (req.get("url", ""), req.get("method", "GET"))
            elif method == "Network.responseReceived":
                resp = params.get("response", {})
                status = int(resp.get("status", 0) or 0)
                if params.get("type") == "Document" and resp.get("url", "").split("#")[0] == result.url.split("#")[0]:
                    result.status = status
                if status >= 400 and not _is_favicon(resp.get("url", "")):
                    req_method = requests.get(params.get("requestId", ""), ("", "GET"))[1]
                    _add(result.failed_requests, {"url": resp.get("url", ""), "method": req_method, "status": status, "failure": None})
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                req_url, req_method = requests.get(params.get("requestId", ""), ("", "GET"))
                _add(result.failed_requests, {"url": req_url, "method": req_method, "status": None, "failure": params.get("errorText")})
            elif method == "Page.frameNavigated":
                frame = params.get("frame", {})
                if not frame.get("parentId") and frame.get("url") != "about:blank" and len(result.navigations) < MAX_ENTRIES:
                    result.navigations.append(frame.get("url", ""))
    return uncaught
