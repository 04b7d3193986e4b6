"""The built wheel, installed outside this checkout, monitors third-party targets from a user's own repository.

The repository holds a pyproject.toml and nothing of this project: the suites come from the
installed package, collected with the user's rootdir and ini.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pytest_autoheal.runner import run
from tests.support.install import ROOT, built_wheel, clean_env, source_files

from .conftest import UserRepo, outcome_ids, targets_toml

CLI = "suites/cli/"
MCP = "suites/mcp_tools/"


def test_the_wheel_carries_every_suite_file_and_installs_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(built_wheel()).namelist())
    suite_files = [rel for rel in source_files() if rel.parts[0] == "suites"]
    assert suite_files and {f"pytest_autoheal/{rel.as_posix()}" for rel in suite_files} <= names
    packages = {rel.parent.as_posix() for rel in suite_files} | {"suites"}
    assert {f"pytest_autoheal/{p}/__init__.py" for p in packages} <= names
    code = "import pytest_autoheal.plugin as p; print(p.__file__)"
    where = run([installed / "python", "-c", code], cwd=tmp_path, env=clean_env(installed), inherit_env=False, timeout=120)
    assert where.returncode == 0, where.describe()
    plugin = Path(where.text().strip())
    assert plugin.is_relative_to(installed.parent) and not plugin.is_relative_to(ROOT)


@pytest.mark.parametrize("level", ["smoke", "comprehensive"])
def test_level_collects_the_bundled_suites_for_both_components_and_passes(
    user_repo: UserRepo, httpie_python: Path, time_server: Path, level: str
) -> None:
    user_repo.write("pyproject.toml", targets_toml(httpie_python, time_server))
    result = user_repo.pytest(f"--autoheal-level={level}", "-rA")
    assert result.returncode == 0, result.describe()
    out = result.text()
    assert f"rootdir: {user_repo.path}" in out and "configfile: pyproject.toml" in out
    passed = outcome_ids(result, "PASSED")
    assert all(i.startswith((CLI, MCP)) for i in passed), passed
    assert any(i.startswith(CLI) and i.endswith("[http]") for i in passed), passed
    # Tool ids read [category/tool]: mcp-server-time's two tools, categorised by name prefix.
    assert any(i.startswith(MCP) and i.endswith("[get/get_current_time]") for i in passed), passed
    assert any(i.startswith(MCP) and i.endswith("[convert/convert_time]") for i in passed), passed
    data = user_repo.run_json()
    assert data["counts"].get("failed", 0) == 0 and data["counts"]["passed"] == len(passed)
    assert set(data["by_component"]) == {"cli", "mcp_tools"}
    assert set(data["by_level"]) == ({"smoke"} if level == "smoke" else {"smoke", "comprehensive"})
    assert user_repo.records() == []
    # Nothing copied into the repository: only what pytest and the report leave.
    assert sorted(p.name for p in user_repo.path.iterdir()) == [".pytest_cache", "autoheal-reports", "pyproject.toml"]


def test_ids_are_the_same_under_xdist_and_select_with_k_and_deselect(user_repo: UserRepo, httpie_python: Path, time_server: Path) -> None:
    user_repo.write("pyproject.toml", targets_toml(httpie_python, time_server))
    collected = user_repo.pytest("--autoheal-level=smoke", "--collect-only", "-q")
    assert collected.returncode == 0, collected.describe()
    ids = sorted(line for line in collected.text().splitlines() if line.startswith("suites/"))
    assert len(ids) >= 6
    alone = user_repo.pytest("--autoheal-level=smoke", "-rA")
    spread = user_repo.pytest("--autoheal-level=smoke", "-n", "2", "-rA")
    assert spread.returncode == 0, spread.describe()
    # Both xdist workers collected the same ids (xdist stops the run otherwise), and they are the one-process ids.
    assert outcome_ids(spread, "PASSED") == outcome_ids(alone, "PASSED") and set(outcome_ids(alone, "PASSED")) <= set(ids)
    picked = user_repo.pytest("--autoheal-level=smoke", "--collect-only", "-q", "-k", "convert_time")
    picked_ids = [line for line in picked.text().splitlines() if line.startswith("suites/")]
    assert picked_ids and all("convert_time" in i for i in picked_ids)
    dropped = ids[0]
    rest = user_repo.pytest("--autoheal-level=smoke", "--collect-only", "-q", f"--deselect={dropped}")
    assert sorted(line for line in rest.text().splitlines() if line.startswith("suites/")) == ids[1:]


def test_dash_p_autoheal_with_autoload_off_keeps_one_category(user_repo: UserRepo, httpie_python: Path, time_server: Path) -> None:
    user_repo.write("pyproject.toml", targets_toml(httpie_python, time_server))
    off = user_repo.pytest("--category=get", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert off.returncode == pytest.ExitCode.USAGE_ERROR and "--category" in off.text("stderr")
    result = user_repo.pytest("-p", "autoheal", "--category=get", "-rA", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert result.returncode == 0, result.describe()
    plugins = next(line for line in result.text().splitlines() if line.startswith("plugins:"))
    assert "autoheal" in plugins and "xdist" not in plugins
    ran = outcome_ids(result, "PASSED") + outcome_ids(result, "SKIPPED")
    assert ran and all(i.startswith(MCP) and i.endswith("[get/get_current_time]") for i in ran), ran
    data = user_repo.run_json()
    assert set(data["by_category"]) == {"get"} and data["by_category"]["get"]["passed"] == len(outcome_ids(result, "PASSED"))


SHADOWED_REQUESTS = 'raise ImportError("cannot import name PreparedRequest: this requests install is broken")\n'
OWN_FAILING_CHECK = """
import pytest


@pytest.mark.level("smoke")
def test_own_status_check():
    assert {"status": "down"} == {"status": "up"}
"""


def test_broken_target_variant_gives_records_the_health_report_and_lf_reruns_them(
    user_repo: UserRepo, httpie_python: Path, time_server: Path
) -> None:
    # httpie with a broken dependency on its path, mcp-server-time refusing its own option: both fail at start.
    shadow = user_repo.write("shadow/requests/__init__.py", SHADOWED_REQUESTS).parent.parent
    broken = targets_toml(
        httpie_python, time_server, cli_extra=f', env = {{ PYTHONPATH = "{shadow}" }}', mcp_args=("--local-timezone", "Nowhere/Invalid")
    )
    user_repo.write("pyproject.toml", broken)
    # Named like the cli suite's module: the installed suite imports under its package name, so both are collected.
    user_repo.write("tests/test_cli.py", OWN_FAILING_CHECK)
    result = user_repo.pytest("--autoheal-level=smoke", "-rA")
    assert result.returncode == 1, result.describe()
    failed = outcome_ids(result, "FAILED")
    assert "tests/test_cli.py::test_own_status_check" in failed
    assert any(i.startswith(CLI) for i in failed) and any(i.startswith(MCP) for i in failed), failed
    records = user_repo.records()
    by_component = {c: [r for r in records if r["test"]["component"] == c] for c in ("cli", "mcp_tools")}
    (cli,) = by_component["cli"]
    assert cli["test"]["nodeid"].startswith(CLI) and cli["test"]["target"] == "http"
    assert (cli["error"]["type"], cli["classification"]["class"]) == ("ImportError", "import")
    assert "this requests install is broken" in cli["error"]["message"]
    assert by_component["mcp_tools"], [r["test"]["nodeid"] for r in records]
    for rec in by_component["mcp_tools"]:
        assert rec["test"]["nodeid"].startswith(MCP)
        assert "Nowhere/Invalid" in rec["error"]["message"] + (rec["error"].get("stderr_tail") or ""), rec["error"]
    data = user_repo.run_json()
    assert data["counts"]["failed"] == len(failed) and sorted(data["record_ids"]) == sorted(r["id"] for r in records)
    health = (user_repo.reports / "health.html").read_text()
    assert all(r["fingerprint"]["hash"] in health for r in records)

    # --lf finds the failed ids of the installed suites and of the user's own tests alike.
    again = user_repo.pytest("--autoheal-level=smoke", "--lf", "-rA")
    assert again.returncode == 1, again.describe()
    assert f"rerun previous {len(failed)} failures" in again.text()
    assert outcome_ids(again, "FAILED") == failed and outcome_ids(again, "PASSED") == []


OWN_CHECKS = """
import pytest


@pytest.mark.level("smoke")
@pytest.mark.component("cli")
def check_status_page():
    assert "ok".upper() == "OK"


def check_unmarked():
    assert True
"""


def test_the_users_ini_is_kept_and_their_level_tests_run_beside_the_suites(
    user_repo: UserRepo, httpie_python: Path, time_server: Path
) -> None:
    user_ini = (
        "\n[tool.pytest.ini_options]\n"
        'testpaths = ["checks"]\n'
        "timeout = 77\n"
        'addopts = "-rA --strict-markers"\n'
        'python_files = ["check_*.py"]\n'
        'python_functions = ["check_*"]\n'
    )
    user_repo.write("pyproject.toml", targets_toml(httpie_python, time_server) + user_ini)
    user_repo.write("checks/check_platform.py", OWN_CHECKS)
    result = user_repo.pytest("--autoheal-level=smoke")
    assert result.returncode == 0, result.describe()
    out = result.text()
    assert f"rootdir: {user_repo.path}" in out and "configfile: pyproject.toml" in out and "testpaths: checks" in out
    assert "timeout: 77.0s" in out
    passed = outcome_ids(result, "PASSED")  # -rA came from the user's addopts
    assert "checks/check_platform.py::check_status_page" in passed
    assert "checks/check_platform.py::check_unmarked" not in passed
    # The suites' own test_* functions are collected whatever python_files/python_functions say for the user's tests.
    assert any(i.startswith(CLI) for i in passed) and any(i.startswith(MCP) for i in passed), passed
    tests = {t["nodeid"]: t for t in user_repo.run_json()["tests"]}
    assert tests["checks/check_platform.py::check_status_page"]["component"] == "cli"


def readme_commands() -> tuple[str, str, str, str]:
    """The install line, the TOML, the run line and the report path of README's "Use it on your platform"."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Use it on your platform", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    toml = block.split("<<'TOML'\n", 1)[1].split("\nTOML\n", 1)[0]
    install = next(line for line in lines if line.startswith("pip install"))
    command = next(line for line in lines if line.startswith("pytest "))
    report = next(line for line in lines if line.startswith("open ")).split()[1]
    return install, toml, command, report


def test_the_readme_commands_monitor_a_cli_and_an_mcp_server(user_repo: UserRepo, httpie_python: Path, time_server: Path) -> None:
    install, toml, command, report = readme_commands()
    assert install == 'pip install "pytest-autoheal[all]"'  # what the installed fixture did from the wheel
    toml = toml.replace('["mycli"]', f'["{httpie_python.parent / "http"}"]').replace('["my-mcp-server"]', f'["{time_server}"]')
    assert str(time_server) in toml and "bin/http" in toml
    user_repo.write("pyproject.toml", toml)
    result = user_repo.pytest(*command.split()[1:], "-rA")
    assert result.returncode == 0, result.describe()
    passed = outcome_ids(result, "PASSED")
    assert any(i.startswith(CLI) for i in passed) and any(i.startswith(MCP) for i in passed), passed
    assert (user_repo.path / report).is_file() and (user_repo.reports / "records").is_dir()
