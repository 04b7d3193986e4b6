"""The CLI under test runs in a sandbox, every invocation is in the trail (secrets redacted), and a
subcommand is run with no arguments only when ``run_bare`` lists it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.conftest import CliProject

TOOL = """
import argparse, json, os, sys
parser = argparse.ArgumentParser(prog="tool")
sub = parser.add_subparsers(dest="cmd")
sub.add_parser("where").add_argument("--token")
sub.add_parser("status")
sub.add_parser("crash")
sub.add_parser("wipe")
args = parser.parse_args()
if args.cmd == "where":
    with open(os.environ["WHERE_OUT"], "w") as fh:
        json.dump({"cwd": os.getcwd(), "env": dict(os.environ)}, fh)
    print("ok")
elif args.cmd == "status":
    print("all good")
elif args.cmd == "crash":
    raise RuntimeError("crashed when run bare")
elif args.cmd == "wipe":
    with open(os.environ["WIPE_MARK"], "w") as fh:
        fh.write("wiped")
"""
TOKEN = "cli-token-5e4d3c2b1a0f9e8d"
CI_SECRET = "ci-secret-value-77aa88bb99"


def test_cli_runs_in_a_sandbox_bare_runs_are_opt_in_and_every_invocation_is_kept(cli_project: CliProject, monkeypatch) -> None:
    monkeypatch.setenv("DEPLOY_PASSWORD", CI_SECRET)
    tool = cli_project.script("tool", TOOL)
    where, wipe = cli_project.pytester.path / "where.json", cli_project.pytester.path / "wiped"
    cli_project.configure(
        "[tool.autoheal.cli]\n"
        f'variants = [{{ command = ["{tool}"], name = "tool", env = {{ WHERE_OUT = "{where}", WIPE_MARK = "{wipe}" }} }}]\n'
        f'examples = [{{ args = ["where", "--token", "{TOKEN}"], stdout = "^ok$" }}]\n'
        'run_bare = ["status", "cr*"]\n'
    )
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-rA")

    # Only the listed subcommands ran bare: status passed, crash failed with its own exception, wipe never ran.
    result.stdout.fnmatch_lines(["*PASSED*test_subcommand_runs_bare_without_crashing[[]tool::status[]]*"])
    assert not wipe.exists()
    (record,) = cli_project.records()
    assert record["test"]["nodeid"].endswith("test_subcommand_runs_bare_without_crashing[tool::crash]")
    assert record["error"]["type"] == "RuntimeError" and record["error"]["message"] == "crashed when run bare"
    assert [e["argv"][1:] for e in record["error"]["extras"]["trail"]] == [["crash"]]
    assert record["error"]["extras"]["trail"][0]["exit_code"] == 1

    data = json.loads((cli_project.report_dir / "run.json").read_text())
    runs = [e["argv"][1:] for t in data["tests"] for e in t.get("trail", [])] + [e["argv"][1:] for e in data["trail"]]
    assert sorted(a[0] for a in runs if len(a) == 1 and not a[0].startswith("-")) == ["crash", "status"]
    (example,) = [t for t in data["tests"] if "test_example_runs_as_configured" in t["nodeid"]]
    assert example["trail"] == [{"argv": [str(tool), "where", "--token", "[REDACTED]"], "exit_code": 0, "ms": example["trail"][0]["ms"]}]
    # Discovery's --help runs happen at collection, outside any test: run.json keeps them too.
    assert {tuple(e["argv"][1:]) for e in data["trail"]} >= {("--help",), ("where", "--help"), ("wipe", "--help")}
    for test in data["tests"]:
        if test["outcome"] == "passed":
            assert test["trail"] and all(e["argv"][0] == str(tool) for e in test["trail"]), test["nodeid"]
    everything = "\n".join(p.read_text() for p in cli_project.report_dir.rglob("*") if p.suffix in (".json", ".html"))
    assert TOKEN not in everything and CI_SECRET not in everything

    seen = json.loads(where.read_text())
    cwd, env = Path(seen["cwd"]), seen["env"]
    assert cwd.name.startswith("autoheal-cli-") and cwd != cli_project.pytester.path and not cwd.exists()
    assert all(Path(env[k]).is_relative_to(cwd) for k in ("HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"))
    assert "DEPLOY_PASSWORD" not in env and CI_SECRET not in json.dumps(env) and env["PATH"] == os.environ["PATH"]
    assert env["WHERE_OUT"] == str(where) and env["ERROR_REPORTING_ENABLED"] == "0"


def test_variant_cwd_places_the_cli_where_the_config_says(cli_project: CliProject) -> None:
    tool = cli_project.script("tool", TOOL)
    where = cli_project.pytester.path / "where.json"
    cli_project.configure(
        "[tool.autoheal.cli]\n"
        f'variants = [{{ command = ["{tool}"], name = "tool", cwd = "bin", env = {{ WHERE_OUT = "{where}", HOME = "/nonexistent-home" }} }}]\n'
        'examples = [{ args = ["where"], stdout = "^ok$" }]\n'
    )
    cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-k", "example")
    seen = json.loads(where.read_text())
    assert Path(seen["cwd"]) == tool.parent and seen["env"]["HOME"] == "/nonexistent-home"
    assert Path(seen["env"]["TMPDIR"]).name == "tmp" and "autoheal-cli-" in seen["env"]["TMPDIR"]
