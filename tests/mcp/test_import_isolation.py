"""The import check cannot be corrupted by what modules do at import: print, flood, hang, crash.

Each module's outcome and output stay its own, under xdist, in any order; one cause is one cluster.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_autoheal.components.mcp_tools.config import McpConfig
from pytest_autoheal.components.mcp_tools.discovery import ToolFile
from pytest_autoheal.components.mcp_tools.loading import import_module, module_name
from pytest_autoheal.components.mcp_tools.target import McpTarget

from .conftest import PYTHON, leftover_processes, server_script, write_config

MODULES = {
    "printer_a": 'import sys\nprint("printer_a says hello " * 50)\nprint("{\\"code\\": 0, \\"stderr\\": \\"\\"}")\nsys.stderr.write("printer_a warns\\n")\n',
    "broken": 'import sys\nprint("broken: stdout marker")\nsys.stderr.write("broken: stderr marker\\n")\nraise ValueError("bad default for limit")\n',
    "good": "VALUE = 1\n",
    "printer_b": 'print("printer_b " + "x" * 200000)\n',
    "hang_a": "from isopkg.helpers import wait_for_lock\nprint('hang_a is waiting')\nwait_for_lock()\n",
    "hang_b": "from isopkg.helpers import wait_for_lock\nprint('hang_b is waiting')\nwait_for_lock()\n",
    "segfault": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    "exits": "raise SystemExit(3)\n",
    "spawns": "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # isopkg-spawned'])\n",
    "lacks_a": "from isopkg.helpers import wait_for_lock_v2\n",
    "lacks_b": "import os\n\nfrom isopkg.helpers import wait_for_lock, wait_for_lock_v2\n",
    "shared_syntax_a": "from isopkg.legacy import compat\n",
    "shared_syntax_b": "import json\nfrom isopkg.legacy import compat\n",
}
HELPERS = """
import time


def wait_for_lock():
    time.sleep(3600)
"""
SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("iso")

@server.tool()
def ping() -> str:
    return "pong"

server.run()
"""


def make_tree(root: Path) -> Path:
    repo = root / "isopkg"
    (repo / "isopkg" / "tools" / "cat").mkdir(parents=True)
    (repo / "__init__.py").write_text("")
    (repo / "pyproject.toml").write_text('[project]\nname = "isopkg"\n')
    (repo / "isopkg" / "__init__.py").write_text('print("isopkg banner")\n')
    (repo / "isopkg" / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (repo / "isopkg" / "legacy.py").write_text("def compat(:\n    pass\n")
    (repo / "isopkg" / "tools" / "__init__.py").write_text("")
    (repo / "isopkg" / "tools" / "cat" / "__init__.py").write_text("")
    for name, body in MODULES.items():
        (repo / "isopkg" / "tools" / "cat" / f"{name}.py").write_text(body)
    return repo


def test_what_modules_print_hang_or_crash_stays_in_their_own_record(tmp_path, run_suite):
    repo = make_tree(tmp_path)
    cfg = write_config(
        tmp_path / "iso.toml",
        {
            "command": server_script(tmp_path / "iso_server.py", SERVER),
            "tools_dir": str(repo / "isopkg" / "tools"),
            "import_timeout": 2,
            "check_served": False,
        },
    )
    for _ in range(2):
        run = run_suite(cfg, "-n", "2", "-k", "imports", timeout=300)
        by_tool = {r["test"]["target"]: r for r in run.records()}
        failing = {"broken", "hang_a", "hang_b", "segfault", "exits", "lacks_a", "lacks_b", "shared_syntax_a", "shared_syntax_b"}
        assert set(by_tool) == failing, run.result.stdout.str()[-3000:]
        assert run.result.parseoutcomes()["passed"] == 4
        # What a module started at import is gone with it.
        assert leftover_processes("isopkg-spawned") == []
        broken = by_tool["broken"]["error"]
        assert broken["type"] == "ValueError" and broken["message"] == "bad default for limit"
        assert [f["function"] for f in broken["frames"]] == ["<module>"] and broken["frames"][0]["file"].endswith("cat/broken.py")
        # The package's banner went to the preload's output, once per worker; the module's own lines are its own.
        assert broken["stdout_tail"] == "broken: stdout marker\n"
        assert broken["stderr_tail"].startswith("broken: stderr marker\n") and "printer" not in broken["stderr_tail"]
        assert broken["extras"]["module"] == "isopkg.tools.cat.broken"
        hangs = [by_tool["hang_a"], by_tool["hang_b"]]
        for name, record in zip(("hang_a", "hang_b"), hangs, strict=True):
            assert record["error"]["type"] == "ImportTimeout" and record["classification"]["class"] == "timeout"
            assert record["error"]["stdout_tail"].endswith(f"{name} is waiting\n")
            assert f"cat/{name}.py" in record["error"]["stderr_tail"]
            assert [f["function"] for f in record["error"]["frames"]] == ["wait_for_lock"]
        # Same hang point, one cluster; a different cause, another.
        assert hangs[0]["fingerprint"]["hash"] == hangs[1]["fingerprint"]["hash"]
        segfault = by_tool["segfault"]
        assert segfault["error"]["type"] == "SIGSEGV" and segfault["classification"]["class"] == "crash"
        assert "Fatal Python error: Segmentation fault" in segfault["error"]["stderr_tail"]
        assert by_tool["exits"]["error"]["type"] == "SystemExit"
        # A name a shared module lacks, and a syntax error in a shared module: one cluster each, from any importer's line.
        for a, b in (("lacks_a", "lacks_b"), ("shared_syntax_a", "shared_syntax_b")):
            assert by_tool[a]["fingerprint"]["hash"] == by_tool[b]["fingerprint"]["hash"], (by_tool[a]["error"], by_tool[b]["error"])
        assert by_tool["lacks_a"]["error"]["type"] == "ImportError" and by_tool["shared_syntax_a"]["error"]["type"] == "SyntaxError"
        assert len({r["fingerprint"]["hash"] for r in by_tool.values()}) == 6


def _target(tmp_path: Path, **cfg) -> McpTarget:
    return McpTarget(cfg=McpConfig(command=["unused"], **cfg), argv=["unused"], python=PYTHON, base_dir=tmp_path)


def test_answers_never_shift_whatever_modules_print(tmp_path):
    repo = make_tree(tmp_path)
    folder = repo / "isopkg" / "tools" / "cat"
    target = _target(tmp_path, import_timeout=5)
    order = ["printer_a", "broken", "printer_b", "good", "exits", "printer_a", "broken", "good"]
    outcomes = []
    for name in order:
        result = import_module(target, ToolFile("cat", name, folder / f"{name}.py"))
        outcomes.append((name, result.ok, result.failure.error_type if result.failure else None))
    assert outcomes == [
        ("printer_a", True, None),
        ("broken", False, "ValueError"),
        ("printer_b", True, None),
        ("good", True, None),
        ("exits", False, "SystemExit"),
        ("printer_a", True, None),
        ("broken", False, "ValueError"),
        ("good", True, None),
    ]
    flood = import_module(target, ToolFile("cat", "printer_b", folder / "printer_b.py"))
    assert flood.stdout_bytes > 200000 and len(flood.stdout) < 20000 and "bytes cut" in flood.stdout


def test_module_names_never_climb_out_of_the_repository(tmp_path):
    repo = make_tree(tmp_path)
    tool = repo / "isopkg" / "tools" / "cat" / "good.py"
    # The repository root holds an __init__.py and a pyproject.toml: it is not a package anyone imports.
    assert module_name(tool) == (str(repo), "isopkg.tools.cat.good")
    assert module_name(tool, boundary=repo / "isopkg") == (str(repo / "isopkg"), "tools.cat.good")
    assert module_name(tool, import_root=repo / "isopkg" / "tools") == (str(repo / "isopkg" / "tools"), "cat.good")
    (repo / "pyproject.toml").unlink()
    assert module_name(tool, boundary=repo) == (str(repo), "isopkg.tools.cat.good")


def test_preload_of_the_platform_package_works_and_each_child_pays_only_its_module(tmp_path):
    repo = make_tree(tmp_path)
    folder = repo / "isopkg" / "tools" / "cat"
    target = _target(tmp_path, import_timeout=5, import_preload=["isopkg.tools"], import_preload_packages=False)
    target.cwd = repo
    result = import_module(target, ToolFile("cat", "good", folder / "good.py"))
    assert result.ok, result.stderr
    # The banner was printed once, by the preload, not by the child.
    assert "isopkg banner" not in result.stdout
