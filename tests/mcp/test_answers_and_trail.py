"""How answers are judged (by evidence, not words), answers that declare errors, the trail of calls in
run.json with secrets redacted, and the sandbox the server runs in, against a raw JSON-RPC server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.support.raw_mcp import raw_server

from .conftest import server_script, write_config

RAW = raw_server(
    """
import os

with open(os.environ["ENV_OUT"], "w") as fh:
    json.dump({"cwd": os.getcwd(), "env": dict(os.environ)}, fh)

READ_ONLY = {"readOnlyHint": True}
SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}}
SECRET_SCHEMA = {"type": "object", "properties": {"api_token": {"type": "string"}, "password": {"type": "string"}}}
NAMES = ["access_denied", "nope", "quiet_crash", "exception_in_stderr", "example_rejected", "structured_error", "text_error",
         "null_error", "uses_token"]
TOOLS = [{"name": n, "inputSchema": SECRET_SCHEMA if n in ("uses_token", "example_rejected") else SCHEMA, "annotations": READ_ONLY}
         for n in NAMES]


def text(value, error=False, structured=None):
    result = {"content": [{"type": "text", "text": value}], "isError": error}
    if structured is not None:
        result["structuredContent"] = structured
    return result
""",
    """
if name == "access_denied":
    result = text("Access denied: path is outside the allowed repository", True)
elif name == "nope":
    result = text("Nope.", True)
elif name == "quiet_crash":
    sys.stderr.write('Traceback (most recent call last):\\n  File "/srv/pool.py", line 3, in take\\n    raise RuntimeError("pool exhausted")\\nRuntimeError: pool exhausted\\n')
    sys.stderr.flush()
    result = text("something went wrong", True)
elif name == "exception_in_stderr":
    sys.stderr.write("handler failed with KeyError 'user'\\n")
    sys.stderr.flush()
    result = text("request failed", True)
elif name == "example_rejected":
    result = text("cannot use these credentials", True)
elif name == "structured_error":
    result = text("{}", False, {"error": "quota exceeded"})
elif name == "text_error":
    result = text("Error: backend not configured")
elif name == "null_error":
    result = text("{}", False, {"result": 1, "error": None})
else:
    result = text("done")
send({"id": rid, "result": result})
""",
)
TOKEN = "tok-9f8e7d6c5b4a39281706"
PASSWORD = "hunter2-very-secret-pw"
CI_SECRET = "ci-deploy-secret-0a1b2c3d4e"


def _config(tmp_path: Path, **mcp) -> Path:
    return write_config(
        tmp_path / "raw.toml",
        {
            "command": server_script(tmp_path / "raw_server.py", RAW),
            "env": {"ENV_OUT": str(tmp_path / "server-env.json"), "FROM_CONFIG": "yes"},
            "categories": {},
            "category_from": ["prefix"],
            **mcp,
        },
        {"examples": {"uses_token": {"api_token": TOKEN}, "example_rejected": {"password": PASSWORD}}},
    )


def _all_text(report_dir: Path) -> str:
    return "\n".join(
        p.read_text("utf-8", errors="replace") for p in report_dir.rglob("*") if p.is_file() and p.suffix in (".json", ".html")
    )


def test_answers_are_judged_by_evidence_and_error_answers_are_warnings(tmp_path, run_suite, monkeypatch):
    monkeypatch.setenv("DEPLOY_TOKEN", CI_SECRET)
    monkeypatch.setenv("UNLISTED_SETTING", "from-the-ci-job")
    # The script is named relative to the config file: it is found although the server starts in its sandbox.
    run = run_suite(_config(tmp_path, command=[sys.executable, "raw_server.py"]), "-rs", level="comprehensive")
    by_target = {r["test"]["target"]: r for r in run.records()}
    # Crash evidence in the call's own stderr window, or a rejected configured example: failures. Words decide nothing.
    assert set(by_target) == {"quiet_crash", "exception_in_stderr", "example_rejected"}, run.result.stdout.str()[-3000:]
    assert by_target["quiet_crash"]["error"]["type"] == "RuntimeError" and by_target["quiet_crash"]["error"]["message"] == "pool exhausted"
    assert by_target["exception_in_stderr"]["error"]["type"] == "ToolCrash"
    assert by_target["example_rejected"]["error"]["type"] == "ToolError"

    data = run.run_json()
    tests = {t["target"]: t for t in data["tests"] if "test_tool_call[" in t["nodeid"]}
    metrics = {t["target"]: data["metrics"].get(t["nodeid"], {}) for t in tests.values()}
    for name in ("access_denied", "nope"):
        assert tests[name]["outcome"] == "passed" and metrics[name]["validation_answer"]
    assert metrics["structured_error"]["error_answer"] == "quota exceeded"
    assert metrics["text_error"]["error_answer"] == "Error: backend not configured"
    assert "error_answer" not in metrics["null_error"] and tests["null_error"]["outcome"] == "passed"
    assert {w["nodeid"].split("[")[1] for w in data["warnings"]} == {"text/text_error]", "structured/structured_error]"}
    html = (run.report_dir / "health.html").read_text()
    assert "quota exceeded" in html and "Warnings (2)" in html
    run.result.stdout.fnmatch_lines(["*2 warning(s), not filed*"])

    # Every call is in the trail: run.json for passing tests, the record's extras for failing ones; secrets redacted.
    (call,) = tests["uses_token"]["trail"]
    assert call["tool"] == "uses_token" and call["arguments"] == {"api_token": "[REDACTED:api_token]"} and call["is_error"] is False
    assert call["answer"] == "done" and call["ms"] >= 0
    (failed_call,) = by_target["example_rejected"]["error"]["extras"]["trail"]
    assert failed_call["arguments"]["password"].startswith("[REDACTED:") and failed_call["is_error"] is True
    assert by_target["example_rejected"]["error"]["extras"]["arguments"]["password"].startswith("[REDACTED:")
    assert {t["trail"][0]["tool"] for t in tests.values() if t["outcome"] == "passed"} == set(tests) - set(by_target)
    everything = _all_text(run.report_dir)
    assert TOKEN not in everything and PASSWORD not in everything and CI_SECRET not in everything
    assert "uses_token" in html and "[REDACTED:api_token]" in html

    # The server ran in a fresh sandbox with the allow-listed environment plus the config's, never the CI secrets.
    seen = json.loads((tmp_path / "server-env.json").read_text())
    cwd = Path(seen["cwd"])
    env = seen["env"]
    assert cwd != Path.cwd() and cwd.name.startswith("autoheal-mcp-") and cwd.parent == Path(os.environ.get("TMPDIR", "/tmp"))
    for key in ("HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        assert Path(env[key]).is_relative_to(cwd), key
    assert env["FROM_CONFIG"] == "yes" and env["PATH"] == os.environ["PATH"]
    assert "DEPLOY_TOKEN" not in env and "UNLISTED_SETTING" not in env and CI_SECRET not in json.dumps(env)
    assert not cwd.exists(), "the sandbox is removed when the run ends"


def test_error_answers_fail_when_configured_and_validation_answers_can_too(tmp_path, run_suite):
    run = run_suite(_config(tmp_path, error_answers="fail", validation_answers="fail"), level="comprehensive")
    by_target = {r["test"]["target"]: r for r in run.records()}
    assert {"structured_error", "text_error", "access_denied", "nope"} <= set(by_target)
    assert by_target["structured_error"]["error"]["type"] == "ToolErrorAnswer"
    assert by_target["structured_error"]["error"]["message"] == "quota exceeded"
    assert by_target["structured_error"]["classification"]["class"] == "contract"
    assert by_target["access_denied"]["error"]["type"] == "ToolError"
    assert "null_error" not in by_target and "uses_token" not in by_target
