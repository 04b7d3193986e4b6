"""error-reporter.js under node --test with jsdom: each node test is counted, and the real receiver gets its reports."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_autoheal.components.js_sdk.checks import run_node_tests
from pytest_autoheal.record import validation_errors
from pytest_autoheal.reporters.receiver import error_reporter_js_path
from tests.js.conftest import start_receiver

NODE_TESTS = Path(__file__).parent / "node" / "error-reporter.test.cjs"
TOKEN_TAIL = "abcdefghijklmnopqrstuvwxyz0123456789"


def test_error_reporter_node_suite_passes_against_the_real_receiver(node: str, jsdom_modules: Path, tmp_path: Path) -> None:
    receiver, server = start_receiver("asgi", tmp_path / "reports", component="js_sdk")
    try:
        env = {
            "NODE_PATH": str(jsdom_modules),
            "AUTOHEAL_RECEIVER_URL": receiver.endpoint,
            "AUTOHEAL_ERROR_REPORTER": str(error_reporter_js_path()),
        }
        run = run_node_tests([NODE_TESTS], node=node, timeout=120, env=env)
    finally:
        server.stop()
    failed = [f"{t.full_name}: {t.message}" for t in run.failures]
    assert not failed, failed
    assert run.result.ok, run.result.text("stderr")[-2000:]
    assert int(run.summary["pass"]) == len(run.tests) >= 16, run.summary
    assert run.summary["skipped"] == "0"
    records = [json.loads(p.read_text()) for p in receiver.records()]
    by_class = {r["classification"]["class"]: r for r in records}
    huge = next(r for r in records if r["error"]["message"].startswith("yyy"))
    assert huge["error"]["message"].endswith("[truncated]") or "truncated" in huge["error"]["message"]
    assert sorted(r["classification"]["class"] for r in records) == ["js_error", "js_error", "unhandled_rejection"]
    error = next(r for r in records if r["error"]["type"] == "ReferenceError")
    assert error["error"]["type"] == "ReferenceError"
    assert "saveSettings" in [f["function"] for f in error["error"]["frames"]]
    assert error["test"]["component"] == "js_sdk" and error["test"]["target"] == "/tools"
    rejection = by_class["unhandled_rejection"]
    assert rejection["error"]["type"] == "UnhandledRejection"
    assert TOKEN_TAIL not in json.dumps(records)
    assert all(validation_errors(r) == [] for r in records)
