"""Starting the dashboard: config errors, a server that dies at start, and Ctrl-C stopping it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SUITE, bad_site_command, run_suite, toml_value


def test_command_without_port_placeholder_is_one_config_error(pytester: pytest.Pytester) -> None:
    result, records, _ = run_suite(pytester, {"command": ["my-dashboard", "--port", "8000"]}, "--autoheal-level=smoke")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*autoheal.toml: dashboard: *command needs a {port} placeholder, or give base_url*"])
    assert "Traceback" not in result.stderr.str() and records == []


def test_missing_dashboard_program_is_one_clear_record(pytester: pytest.Pytester) -> None:
    result, records, _ = run_suite(pytester, {"command": ["no-such-dashboard", "--port", "{port}"]}, "--autoheal-level=smoke")
    result.assert_outcomes(errors=1, skipped=1)
    (rec,) = records
    assert rec["monitor"]["summary"].startswith("the dashboard did not start: the program 'no-such-dashboard' was not found")
    assert rec["error"]["message"] == "program not found: no-such-dashboard" and rec["classification"]["class"] == "config"
    assert rec["error"]["extras"]["argv"] == ["no-such-dashboard", "--port", rec["error"]["extras"]["argv"][2]]


def test_dashboard_that_dies_at_start_gives_a_record_with_its_own_exception(pytester: pytest.Pytester) -> None:
    script = pytester.path / "dies.py"
    script.write_text("import sys\n\ndef load_routes(path):\n    return open(path).read()\n\nload_routes('/nonexistent/routes.yaml')\n")
    cfg = {"command": [sys.executable, str(script), "{port}"], "ready_timeout": 10, "pages": ["/"]}
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=smoke")
    result.assert_outcomes(errors=1, skipped=1)
    assert {r["error"]["type"] for r in records} == {"FileNotFoundError"}
    assert all(any(f["function"] == "load_routes" for f in r["error"]["frames"]) for r in records)
    assert records[0]["test"]["phase"] == "setup"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_dashboard_stops_when_pytest_is_interrupted_or_killed(pytester: pytest.Pytester, sig: signal.Signals) -> None:
    cfg = pytester.path / "autoheal.toml"
    cfg.write_text(
        f"[dashboard]\ncommand = {toml_value(bad_site_command())}\nready_path = '/clean'\npages = ['/hang.js']\nrequest_timeout = 120\n"
    )
    (pytester.path / "pytest.ini").write_text("[pytest]\n")
    report = pytester.path / "reports"
    # Ctrl-C as a terminal delivers it: SIGINT raises KeyboardInterrupt even when this run inherited it ignored (a background job).
    interruptible = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); import pytest; sys.exit(pytest.console_main())"
    )
    argv = [
        sys.executable,
        "-c",
        interruptible,
        str(SUITE),
        f"--autoheal-config={cfg}",
        f"--autoheal-dir={report}",
        f"--rootdir={pytester.path}",
    ]
    argv += [f"-c={pytester.path / 'pytest.ini'}", "-p", "no:cacheprovider", "--autoheal-level=smoke", "-k", "test_page_answers"]
    output = pytester.path / "pytest-output.txt"
    with open(output, "wb") as sink:  # a file, not a pipe nobody reads while waiting: pytest never blocks on a full pipe
        proc = subprocess.Popen(argv, cwd=pytester.path, stdout=sink, stderr=subprocess.STDOUT)
    log = report / "logs" / "dashboard-main.log"
    pid = None
    blocked = False
    # Signalled only once the suite's test is blocked on the endless response, as the site's log says, not after a guessed pause.
    deadline = time.monotonic() + 240
    while not blocked and proc.poll() is None and time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        m = re.search(r"bad site pid (\d+)", text)
        pid = int(m.group(1)) if m else None
        blocked = pid is not None and "hang.js requested" in text
        time.sleep(0.1)
    try:
        assert blocked, f"the suite never reached the endless response: {log.read_text() if log.exists() else 'no dashboard log'}"
        os.kill(proc.pid, sig)
        # A bound for a loaded machine only: pytest reports, writes the health report and stops the dashboard first.
        proc.wait(timeout=240)
        out = output.read_text(errors="replace")
        expected = "KeyboardInterrupt" in out if sig == signal.SIGINT else proc.returncode == -signal.SIGKILL
        assert expected, f"exit {proc.returncode}: {out[-3000:]}"
        gone = time.monotonic() + 60
        while time.monotonic() < gone:
            try:
                # The cmdline, not just the pid: a pid freed by the site may already belong to another process.
                if b"bad_site.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    break
            except OSError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"dashboard pid {pid} still runs after {sig.name}")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("driver", ["playwright", "selenium"])
def test_no_browser_skips_browser_tests_with_reason_and_install_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, driver: str
) -> None:
    monkeypatch.setenv("AUTOHEAL_CHROMIUM", str(pytester.path / "no-chromium"))
    cfg = {"command": bad_site_command(), "ready_path": "/clean", "pages": ["/clean"]}
    result, records, report = run_suite(pytester, cfg, "--autoheal-level=browser", f"--autoheal-browser={driver}", "-rs")
    result.assert_outcomes(skipped=2)
    assert not (report / "logs" / "dashboard-main.log").exists(), "the dashboard was started although no browser can run"
    result.stdout.fnmatch_lines(["*SKIPPED*no Chromium found*no-chromium*apt-get install -y chromium chromium-driver*"])
    assert records == []
