"""The MCP suite on the bundled demo server: green by default, the right failures with the break switch."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from pytest_autoheal.runner import start

from .conftest import DEMO_TOOLS, ROOT, write_config


def demo_config(tmp_path, **overrides):
    mcp = {"command": ["autoheal-demo-mcp"], "tools_dir": str(DEMO_TOOLS), "import_preload": ["mcp.server.mcpserver"], "call_timeout": 15}
    mcp.update(overrides)
    return write_config(tmp_path / "autoheal.toml", mcp)


def test_demo_smoke_is_green_with_the_repository_configuration(run_suite):
    run = run_suite(ROOT / "pyproject.toml", "-n", "2")
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, run.result.stdout.str()[-3000:]
    # handshake + list + (file served + module imports) per file + schema per tool
    assert outcomes["passed"] >= 2 + 3 * 30
    assert run.records() == []
    assert run.run_json()["counts"].get("passed") == outcomes["passed"]


def test_break_switch_gives_a_dependency_record_and_a_crash_record(run_suite, monkeypatch):
    monkeypatch.setenv("AUTOHEAL_DEMO_BREAK", "1")
    run = run_suite(ROOT / "pyproject.toml", "--category=pdf_tools,math_tools", level="comprehensive")
    run.result.assert_outcomes(failed=3, passed=run.result.parseoutcomes()["passed"])
    by_test = {r["test"]["nodeid"].split("::")[-1]: r for r in run.records()}
    assert set(by_test) == {
        "test_tool_file_is_served[pdf_tools/pdf_page_count]",
        "test_tool_module_imports[pdf_tools/pdf_page_count]",
        "test_tool_call[math_tools/math_stddev]",
    }
    for name in ("test_tool_file_is_served[pdf_tools/pdf_page_count]", "test_tool_module_imports[pdf_tools/pdf_page_count]"):
        rec = by_test[name]
        assert rec["classification"]["class"] == "dependency"
        assert "pdfminer_fastpath" in rec["error"]["message"]
        assert (rec["test"]["component"], rec["test"]["category"], rec["test"]["target"]) == ("mcp_tools", "pdf_tools", "pdf_page_count")
    crash = by_test["test_tool_call[math_tools/math_stddev]"]
    assert crash["error"]["type"] == "ZeroDivisionError"
    assert crash["classification"]["class"] == "runtime_exception"
    assert any(f["function"] == "math_stddev" for f in crash["error"]["frames"])
    extras = crash["error"]["extras"]
    assert extras["tool"] == "math_stddev" and extras["arguments"] == {"values": [2, 4, 4, 4, 5, 5, 7, 9]}
    assert "ZeroDivisionError" in extras["server_stderr_tail"]


def test_category_selects_only_that_categorys_tools_and_ids_read_category_slash_tool(run_suite, tmp_path):
    run = run_suite(demo_config(tmp_path), "--category=ipfs_tools", "--collect-only", "-q")
    ids = [line for line in run.result.outlines if "::" in line]
    assert ids, run.result.stdout.str()
    assert all("[ipfs_tools/" in line for line in ids), ids
    assert any("test_tool_module_imports[ipfs_tools/ipfs_rm]" in line for line in ids)


def test_destructive_tool_is_called_only_when_allowed_by_name(run_suite, tmp_path):
    # ipfs_add only adds to the in-memory store (destructiveHint: false): "non_destructive" calls it, ipfs_rm stays out.
    blocked = run_suite(demo_config(tmp_path, call="non_destructive"), "--category=ipfs_tools", "-rs", level="comprehensive")
    blocked.result.stdout.fnmatch_lines(["*ipfs_rm is annotated destructiveHint; add it to*allow_destructive*"])
    allowed_cfg = demo_config(tmp_path, call="non_destructive", allow_destructive=["ipfs_rm"])
    allowed = run_suite(allowed_cfg, "--category=ipfs_tools", "-rs", level="comprehensive")
    assert "destructiveHint" not in allowed.result.stdout.str()
    assert allowed.result.parseoutcomes()["passed"] == blocked.result.parseoutcomes()["passed"] + 1


def test_stress_records_latency_and_fails_past_its_budget(run_suite, tmp_path):
    cfg = demo_config(tmp_path)
    with open(cfg, "a") as fh:
        fh.write('[tool.autoheal.mcp.stress]\ntools = ["hash_sha256", "text_word_count"]\ncalls = 30\nsessions = 2\nmax_p95_ms = 0.001\n')
    run = run_suite(cfg, level="stress")
    run.result.assert_outcomes(failed=2)
    metrics = run.run_json()["metrics"]
    (nodeid,) = [n for n in metrics if "hash_tools" in n]
    m = metrics[nodeid]
    assert m["calls"] == 30 and m["errors"] == 0 and 0 < m["p50_ms"] <= m["p95_ms"] <= m["max_ms"]
    assert m["rss_growth_mb"] is not None
    run.result.stdout.fnmatch_lines(["*over budget: p95 latency*"])


def test_streamable_http_server_is_monitored_by_url(run_suite, tmp_path):
    log = tmp_path / "http.log"
    # Port 0: the server binds a free port itself and logs it, so no other process can take it between choosing and binding.
    with start([str(Path(sys.executable).parent / "autoheal-demo-mcp"), "--http", "--port", "0"], log_path=log) as server:
        port = None
        deadline = time.monotonic() + 120
        while port is None and server.alive() and time.monotonic() < deadline:
            m = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", log.read_text() if log.exists() else "")
            port = int(m.group(1)) if m else None
            time.sleep(0.1)
        assert port, server.log_tail()
        cfg = write_config(
            tmp_path / "http.toml", {"url": f"http://127.0.0.1:{port}/mcp", "tools_dir": str(DEMO_TOOLS), "startup_timeout": 30}
        )
        run = run_suite(cfg, "--category=hash_tools", level="comprehensive")
        assert server.alive(), server.log_tail()
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, run.result.stdout.str()[-3000:]
    assert outcomes["passed"] == 4 * 4  # served, imports, schema, call for each of the 4 hash tools
