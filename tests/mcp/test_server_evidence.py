"""Records of a server's failures come from that server's own evidence about the failing thing:
its exit and unhandled error at start-up, and for a file it does not serve, only what names that file."""

from __future__ import annotations

import pytest

from .conftest import server_script, write_config

DIRECT_SERVER = """
import importlib.util, logging, sys
from pathlib import Path
from mcp.server.mcpserver import MCPServer

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("platform")
log.info("starting; search index and cache warm-up done, no errors")
server = MCPServer("evidence")
for path in sorted(Path(sys.argv[1]).glob("*/*.py")):
    if path.stem in ("quiet_drop", "search"):
        continue
    if path.stem == "logged_drop":
        log.warning("tool logged_drop disabled by feature flag LOGGED_DROP_ENABLED")
        continue
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:
        log.exception("could not load %s", path.name)
        continue
    server.add_tool(getattr(module, path.stem), name=path.stem)
log.info("ready")
server.run()
"""
TOOL = "def {name}(text: str) -> str:\n    return text\n"


def _tools(tmp_path, broken=True):
    tools = tmp_path / "tools" / "misc"
    tools.mkdir(parents=True)
    for name in ("fine", "quiet_drop", "logged_drop", "search"):
        (tools / f"{name}.py").write_text(TOOL.format(name=name))
    if broken:
        (tools / "loud_fail.py").write_text("raise RuntimeError('loud_fail cannot start: no license key')\n")
    return tools.parent


def test_a_file_not_served_is_explained_only_by_evidence_about_it(tmp_path, run_suite):
    tools = _tools(tmp_path)
    command = [*server_script(tmp_path / "evidence_server.py", DIRECT_SERVER), str(tools)]
    cfg = write_config(tmp_path / "evidence.toml", {"command": command, "tools_dir": str(tools), "startup_timeout": 30})
    run = run_suite(cfg, "-k", "served or imports")
    by_test = {r["test"]["nodeid"].split("::")[-1]: r for r in run.records()}
    assert set(by_test) == {
        "test_tool_file_is_served[misc/quiet_drop]",
        "test_tool_file_is_served[misc/logged_drop]",
        "test_tool_file_is_served[misc/search]",
        "test_tool_file_is_served[misc/loud_fail]",
        "test_tool_module_imports[misc/loud_fail]",
    }, run.result.stdout.str()[-3000:]
    quiet = by_test["test_tool_file_is_served[misc/quiet_drop]"]["error"]
    assert quiet["type"] == "ToolNotServed" and quiet["message"].startswith("module not served, no traceback")
    # Neither another tool's traceback nor the server's unrelated log lines are borrowed.
    assert "loud_fail" not in str(quiet) and "warm-up" not in str(quiet) and quiet["frames"] == []
    # A tool named by a plain word is not named by the server's prose that uses the word.
    search = by_test["test_tool_file_is_served[misc/search]"]["error"]
    assert search["type"] == "ToolNotServed" and search["message"].startswith("module not served, no traceback"), search
    assert "warm-up" not in str(search)
    logged = by_test["test_tool_file_is_served[misc/logged_drop]"]
    assert logged["error"]["type"] == "ToolNotServed"
    assert "disabled by feature flag LOGGED_DROP_ENABLED" in logged["error"]["message"]
    assert "loud_fail" not in logged["error"]["stderr_tail"]
    assert logged["classification"]["class"] == "contract"
    loud_served = by_test["test_tool_file_is_served[misc/loud_fail]"]
    loud_import = by_test["test_tool_module_imports[misc/loud_fail]"]
    assert loud_served["error"]["type"] == loud_import["error"]["type"] == "RuntimeError"
    assert loud_served["fingerprint"]["hash"] == loud_import["fingerprint"]["hash"]
    assert "could not load loud_fail.py" in loud_served["error"]["extras"]["server_traceback"]


def test_served_check_can_be_switched_off(tmp_path, run_suite):
    tools = _tools(tmp_path)
    command = [*server_script(tmp_path / "evidence_server.py", DIRECT_SERVER), str(tools)]
    cfg = write_config(tmp_path / "off.toml", {"command": command, "tools_dir": str(tools), "check_served": False})
    run = run_suite(cfg, "-k", "served", "-rs")
    run.result.assert_outcomes(skipped=5)
    run.result.stdout.fnmatch_lines(["*check_served = false*"])


UNHANDLED_AT_START = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
logging.getLogger("platform").info("loading plugins")
from platform_plugins_v2 import registry
"""
HANDLED_THEN_EXIT_0 = """
import logging, sys
print("Platform 4.2 banner")
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
try:
    from mcp.server.fastmcp import FastMCP
except ImportError:
    logging.getLogger("platform").exception("server class unavailable")
    raise SystemExit(0)
"""
HANDLED_THEN_EXIT_3 = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
log = logging.getLogger("platform")
try:
    {}["port"]
except KeyError:
    log.exception("no port configured, using a default")
log.error("\\x1b[31mcannot bind the default port either\\x1b[0m")
sys.exit(3)
"""
KILLED = """
import os, signal
os.kill(os.getpid(), signal.SIGABRT)
"""


@pytest.mark.parametrize(
    ("body", "error_type", "klass", "words"),
    [
        (
            UNHANDLED_AT_START,
            "ModuleNotFoundError",
            "dependency",
            "No module named 'platform_plugins_v2'",
        ),
        (HANDLED_THEN_EXIT_0, "ServerExited", "crash", "exited with code 0 before completing the handshake"),
        (HANDLED_THEN_EXIT_3, "ServerExited", "crash", "exited with code 3 before completing the handshake"),
        (KILLED, "SIGABRT", "crash", "was killed by SIGABRT before completing the handshake"),
    ],
    ids=["unhandled-error", "handled-then-exit-0", "handled-then-exit-3", "killed-by-signal"],
)
def test_server_that_dies_at_start_is_classed_from_its_exit_and_unhandled_error(tmp_path, run_suite, body, error_type, klass, words):
    script = tmp_path / "dying_server.py"
    cfg = write_config(
        tmp_path / "dying.toml",
        {"command": server_script(script, body), "startup_timeout": 10, "tools_dir": str(_tools(tmp_path, broken=False))},
    )
    # Under xdist both workers meet the dead server; still one record.
    run = run_suite(cfg, *(["-n", "2"] if body is HANDLED_THEN_EXIT_0 else []))
    (record,) = run.records()
    error = record["error"]
    assert record["test"]["nodeid"].endswith("test_server_starts_and_completes_handshake")
    assert error["type"] == error_type and words in error["message"], error["message"]
    assert record["classification"]["class"] == klass
    assert "\x1b" not in str(record)
    if body is UNHANDLED_AT_START:
        assert error["extras"]["exit_code"] == 1 and "loading plugins" in error["stderr_tail"]
        assert error["frames"] and error["frames"][-1]["source"] == "from platform_plugins_v2 import registry"
    if body is HANDLED_THEN_EXIT_0:
        assert error["extras"]["stdout_garbage"] == ["Platform 4.2 banner"]
        assert error["extras"]["handled_errors"][0].startswith("ModuleNotFoundError: No module named 'mcp.server.fastmcp'")
    if body is HANDLED_THEN_EXIT_3:
        assert error["extras"]["handled_errors"] == ["KeyError: 'port'"] and error["frames"] == []
        assert record["monitor"]["summary"].endswith("ERROR:platform:cannot bind the default port either")
