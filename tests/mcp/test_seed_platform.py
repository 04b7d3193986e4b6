"""The platform the product was made for, at full size: a generated tree of the seed's shape.

340 tool modules in 50 category folders inside a package whose repository root also holds an
``__init__.py``; the package prints a banner and is slow to import; a server that exposes only
four dispatcher meta-tools; some modules broken on purpose. Every outcome is checked exactly.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from ..support.seedlike import SeedTree, dispatch_config, generate
from .conftest import PYTHON, write_config


def seed_config(path: Path, tree: SeedTree, *, server: Path | None = None, dispatch: bool = True, **overrides) -> Path:
    mcp = {
        "command": [PYTHON, str(server or tree.server)],
        "env": {"PYTHONPATH": str(tree.repo)},
        "cwd": str(tree.repo),
        "tools_dir": str(tree.tools_dir),
        "import_timeout": 3,
        "startup_timeout": 60,
        "call_timeout": 15,
        **overrides,
    }
    return write_config(path, mcp, {"dispatch": dispatch_config()} if dispatch else None)


def _by_test(run) -> dict[str, dict]:
    return {r["test"]["nodeid"].split("::")[-1]: r for r in run.records()}


def _failed_ids(run) -> set[str]:
    return {line.split("::")[-1].split(" ")[0] for line in run.result.outlines if line.startswith("FAILED ")}


def test_full_size_seed_platform_smoke_gives_every_outcome_exactly_twice_in_a_row(tmp_path, run_suite):
    tree = generate(tmp_path, tools=340, categories=50)
    assert len(tree.files) == 340 and len(tree.categories) == 50
    assert (tree.repo / "__init__.py").is_file()
    cfg = seed_config(tmp_path / "seed.toml", tree)
    expected_failures = {f"test_tool_file_is_served[{f}]" for f in tree.broken} | {f"test_tool_module_imports[{f}]" for f in tree.broken}
    runs = [run_suite(cfg, "-n", "2", "-rfEs", timeout=600) for _ in range(2)]
    fingerprints = []
    for run in runs:
        outcomes = run.result.parseoutcomes()
        # handshake, tools/list, dispatcher + served and imported per file + a schema per tool (4 meta-tools, 330 behind them)
        assert outcomes.get("failed") == 20, run.result.stdout.str()[-4000:]
        assert outcomes["passed"] == 3 + 2 * (340 - 10) + 4 + 330
        assert outcomes.get("skipped", 0) == 0
        assert _failed_ids(run) == expected_failures
        by_test = _by_test(run)
        assert set(by_test) == expected_failures
        for tool_id, kind in tree.broken.items():
            served, imported = by_test[f"test_tool_file_is_served[{tool_id}]"], by_test[f"test_tool_module_imports[{tool_id}]"]
            # Not served because it does not import: one bug, one fingerprint, whichever check saw it.
            assert served["fingerprint"]["hash"] == imported["fingerprint"]["hash"], tool_id
            for record in (served, imported):
                assert (record["test"]["category"], record["test"]["target"]) == tuple(tool_id.split("/"))
                klass = {"syntax": "syntax", "import_error": "import", "hangs": "timeout"}.get(kind, "dependency")
                assert record["classification"]["class"] == klass, (tool_id, record["classification"])
            if kind.startswith("missing:"):
                assert imported["error"]["message"] == f"No module named '{kind.split(':')[1]}'"
            if kind == "hangs":
                assert imported["error"]["type"] == "ImportTimeout"
                assert [f["function"] for f in imported["error"]["frames"]] == ["wait_for_index"]
                assert "legal_dataset_op" in imported["error"]["stderr_tail"] and "wait_for_index" in imported["error"]["stderr_tail"]
        # One cause, one cluster: the missing modules, the syntax error, the ImportError, the hang.
        clusters = collections.Counter(r["fingerprint"]["hash"] for r in by_test.values())
        assert sorted(clusters.values()) == [2, 2, 2, 4, 10]
        # The banner and the module that prints at import corrupt nothing: the printer passed both checks.
        assert f"test_tool_module_imports[{tree.prints}]" not in by_test
        fingerprints.append(sorted(clusters.items()))
    assert fingerprints[0] == fingerprints[1]


def test_server_that_exits_at_start_gives_exactly_one_record(tmp_path, run_suite):
    tree = generate(tmp_path, tools=60, categories=12, broken=False)
    cfg = seed_config(tmp_path / "legacy.toml", tree, server=tree.legacy_server)
    run = run_suite(cfg, "-n", "2", "-rfEs", level="comprehensive", timeout=300)
    outcomes = run.result.parseoutcomes()
    assert outcomes["failed"] == 1, run.result.stdout.str()[-3000:]
    assert outcomes["passed"] == 60  # every module still imports on its own
    (record,) = run.records()
    assert record["test"]["nodeid"].endswith("test_server_starts_and_completes_handshake")
    error = record["error"]
    assert error["type"] == "ServerExited" and error["extras"]["exit_code"] == 0
    assert error["message"] == "MCP server exited with code 0 before completing the handshake"
    # Its last words are quoted on the terminal line and kept in its stderr tail.
    assert "MCP server disabled: no server class" in record["monitor"]["summary"]
    assert "MCP server disabled: no server class" in error["stderr_tail"]
    assert record["classification"]["class"] == "crash"
    assert record["classification"]["evidence"] == ["the process exited with code 0 without an error it did not handle"]
    # The banner on stdout is noted, not the cause; the ImportError the server logged and swallowed is kept as context.
    assert error["extras"]["stdout_garbage"] == ["seedpkg 4.2.0: ready (GPU: none, IPFS: offline)"]
    assert any("mcp.server.fastmcp" in line for line in error["extras"]["handled_errors"])
    assert error["frames"] == []
    served_skips = [line for line in run.result.outlines if "test_server_starts_and_completes_handshake records why" in line]
    assert served_skips and "SKIPPED [" in served_skips[0]
    assert sum(int(line.split("[")[1].split("]")[0]) for line in served_skips) == 60 + 2  # served checks, tools/list, dispatcher


def test_tools_behind_the_dispatcher_are_called_through_it_under_the_call_policy(tmp_path, run_suite):
    tree = generate(tmp_path, tools=30, categories=6)
    cfg = seed_config(tmp_path / "seed.toml", tree, import_timeout=2)
    run = run_suite(cfg, "-n", "2", "-rs", level="comprehensive", timeout=300)
    by_test = _by_test(run)
    crash = by_test[f"test_tool_call[{tree.crashes_on_call}]"]
    # The dispatcher answers {"status": "error", "error": "ZeroDivisionError: ..."}; the tool's traceback is in its stderr.
    assert crash["error"]["type"] == "ZeroDivisionError"
    assert crash["classification"]["class"] == "runtime_exception"
    assert [f["function"] for f in crash["error"]["frames"]][-1] == tree.crashes_on_call.split("/")[1]
    assert crash["error"]["extras"]["tool"] == tree.crashes_on_call.split("/")[1]
    assert {n for n in by_test if n.startswith("test_tool_call[")} == {f"test_tool_call[{tree.crashes_on_call}]"}
    # {"status": "error"} with isError false is an error answer: a warning, not a silent pass.
    data = run.run_json()
    (warning,) = data["warnings"]
    assert warning["nodeid"].endswith(f"test_tool_call[{tree.error_on_call}]") and "index shard 3 is corrupt" in warning["text"]
    # Tools listed without annotations are not called by default; the skip says what would allow them.
    not_called = {t["target"]: t["not_called"] for t in data["tests"] if t.get("not_called") and "test_tool_call[" in t["nodeid"]}
    assert set(not_called) == {f.split("/")[1] for f in tree.unannotated}
    assert all("[tool.autoheal.mcp] allow" in reason for reason in not_called.values())
    assert "tools_dispatch is a dispatcher meta-tool" in run.result.stdout.str()
    # smoke: handshake, tools/list, dispatcher, 20 files served and imported, 4 + 20 schemas; then 18 calls through the dispatcher
    outcomes = run.result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"]) == (2 * 10 + 1, 3 + 2 * 20 + 24 + 17), outcomes

    # The maintainers opt in explicitly: by category/tool globs, and error answers as failures.
    opted = seed_config(tmp_path / "opted.toml", tree, import_timeout=2, allow=tree.unannotated, error_answers="fail")
    run = run_suite(opted, "-n", "2", "-k", "tool_call", level="comprehensive", timeout=300)
    by_test = _by_test(run)
    assert set(by_test) == {f"test_tool_call[{tree.crashes_on_call}]", f"test_tool_call[{tree.error_on_call}]"}
    said = by_test[f"test_tool_call[{tree.error_on_call}]"]["error"]
    assert said["type"] == "ToolErrorAnswer" and said["message"] == "index shard 3 is corrupt"
    assert run.result.parseoutcomes()["passed"] == 20 - 2


def test_stress_calls_go_through_the_dispatcher_and_error_answers_count_as_errors(tmp_path, run_suite):
    tree = generate(tmp_path, tools=30, categories=5)
    category, failing = tree.error_on_call.split("/")
    fine = next(f.split("/")[1] for f in tree.served() if f.startswith(category + "/") and f != tree.error_on_call)
    cfg = seed_config(tmp_path / "seed.toml", tree, import_timeout=2)
    with open(cfg, "a") as fh:
        fh.write(f'[tool.autoheal.mcp.stress]\ntools = ["{fine}", "{failing}"]\ncalls = 20\nsessions = 2\nmax_error_rate = 0.6\n')
    run = run_suite(cfg, level="stress", timeout=300)
    run.result.assert_outcomes(passed=1)
    (metrics,) = [m for n, m in run.run_json()["metrics"].items() if f"[{category}]" in n]
    # Every other call is the tool whose answer is {"status": "error"}: half of them are errors.
    assert metrics["calls"] == 20 and metrics["errors"] == 10


@pytest.mark.parametrize(
    ("settings"),
    [{"import_preload": ["seedpkg.mcp_server"]}, {"import_preload_packages": False}, {"import_root": "."}],
    ids=["preload-package", "no-preload", "import-root"],
)
def test_module_names_stay_inside_the_repository_however_imports_are_set_up(tmp_path, run_suite, settings):
    tree = generate(tmp_path, tools=30, categories=6)
    if "import_root" in settings:
        settings = {"import_root": str(tree.repo)}
    cfg = seed_config(tmp_path / "seed.toml", tree, dispatch=False, import_timeout=2, check_served=False, **settings)
    run = run_suite(cfg, "-n", "2", "-k", "imports", timeout=300)
    assert _failed_ids(run) == {f"test_tool_module_imports[{f}]" for f in tree.broken}, run.result.stdout.str()[-3000:]
    for record in run.records():
        assert record["error"]["extras"]["module"].startswith("seedpkg.mcp_server.tools.")
        assert "seedpkg.seedpkg" not in str(record)
