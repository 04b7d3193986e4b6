"""`autoheal init` in a user's repository, then the workflow's install and monitor steps run as written in a fresh venv."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pytest_autoheal.runner import run
from tests.scaffold.test_init import step_script
from tests.support.install import built_wheel, clean_env, fresh_venv

from .conftest import UserRepo, targets_toml


def test_generated_workflow_installs_and_monitors_a_healthy_target(
    user_repo: UserRepo, httpie_python: Path, time_server: Path, tmp_path: Path
) -> None:
    user_repo.write("pyproject.toml", targets_toml(httpie_python, time_server))
    init = run([user_repo.bin / "autoheal", "init"], cwd=user_repo.path, env=clean_env(user_repo.bin), inherit_env=False, timeout=120)
    assert init.returncode == 0, init.describe()
    workflows = user_repo.path / ".github" / "workflows"
    assert sorted(p.name for p in workflows.iterdir()) == ["autoheal-autofix.yml", "autoheal-cli.yml", "autoheal-mcp-tools.yml"]

    cli, mcp = (workflows / "autoheal-cli.yml").read_text(), (workflows / "autoheal-mcp-tools.yml").read_text()
    install = step_script(cli, "Install")
    assert install == step_script(mcp, "Install") and 'pip install "pytest-autoheal[all]"' in install
    # The CI runner's setup-python gives a bare interpreter: here, a fresh venv first on PATH.
    venv_bin = fresh_venv(tmp_path / "runner-venv")
    # pip finds pytest-autoheal in the built wheel's folder, everything else on the package index.
    find_links = " ".join(filter(None, [os.environ.get("PIP_FIND_LINKS", ""), str(built_wheel().parent)]))
    env = clean_env(venv_bin, PIP_FIND_LINKS=find_links, AUTOHEAL_LEVEL="smoke", CATEGORY="")
    script = "set -euo pipefail\n" + install + "\n" + step_script(cli, "Monitor cli") + "\n"
    script += "mv autoheal-reports cli-reports\n" + step_script(mcp, "Monitor mcp_tools") + "\n"
    done = run(["bash", "-c", script], cwd=user_repo.path, env=env, inherit_env=False, timeout=1200)
    assert done.returncode == 0, done.describe()
    out = done.text()
    assert "suites/cli/test_cli.py " in out and "suites/mcp_tools/test_mcp_smoke.py " in out
    for reports, component in ((user_repo.path / "cli-reports", "cli"), (user_repo.reports, "mcp_tools")):
        data = json.loads((reports / "run.json").read_text())
        assert set(data["by_component"]) == {component} and data["counts"]["passed"] > 0 and "failed" not in data["counts"]
    where = run([venv_bin / "python", "-c", "import pytest_autoheal; print(pytest_autoheal.__file__)"], cwd=tmp_path, env=env, inherit_env=False)
    assert Path(where.text().strip()).is_relative_to(venv_bin.parent)
