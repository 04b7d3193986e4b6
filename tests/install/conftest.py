"""A user's repository outside this checkout, with pytest-autoheal installed from the built wheel.

The repository holds only what a user writes (a pyproject.toml, maybe tests of their own); the
targets are third-party packages from the package index in their own venvs: httpie as the CLI,
mcp-server-time as the MCP server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.runner import RunResult, run
from tests.support.install import clean_env, installed_venv
from tests.support.reports import read_records
from tests.support.thirdparty import python_venv


@pytest.fixture(scope="session")
def installed() -> Path:
    """``bin`` of a venv with ``pytest-autoheal[all]`` installed from the wheel (not editable)."""
    return installed_venv()


@pytest.fixture(scope="session")
def httpie_python() -> Path:
    return python_venv("httpie", ["httpie"]) / "python"


@pytest.fixture(scope="session")
def time_server() -> Path:
    return python_venv("mcp-server-time", ["mcp-server-time"]) / "mcp-server-time"


def targets_toml(httpie_python: Path, time_server: Path, *, cli_extra: str = "", mcp_args: tuple[str, ...] = ()) -> str:
    """``[tool.autoheal]`` for httpie (it documents exit status 1 for usage errors) and mcp-server-time."""
    command = json.dumps([str(time_server), *mcp_args])
    return (
        "[tool.autoheal]\n\n"
        "[tool.autoheal.cli]\n"
        f'variants = [{{ distribution = "httpie", python = "{httpie_python}", scripts = ["http"], usage_exit_codes = [1, 2]{cli_extra} }}]\n\n'
        "[tool.autoheal.mcp]\n"
        f"command = {command}\n"
    )


@dataclass
class UserRepo:
    path: Path
    bin: Path

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def pytest(self, *args: str, timeout: float = 600, **env: str) -> RunResult:
        """``pytest`` of the installed venv, run in the repository from a user's shell environment."""
        return run([self.bin / "pytest", *args], cwd=self.path, env=clean_env(self.bin, **env), inherit_env=False, timeout=timeout)

    @property
    def reports(self) -> Path:
        return self.path / "autoheal-reports"

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.reports)

    def run_json(self) -> dict[str, Any]:
        return json.loads((self.reports / "run.json").read_text())


@pytest.fixture
def user_repo(tmp_path: Path, installed: Path) -> UserRepo:
    repo = tmp_path / "platform"
    repo.mkdir()
    return UserRepo(repo, installed)


def outcome_ids(result: RunResult, outcome: str) -> list[str]:
    """Test ids of one outcome from ``-rA``'s short summary (``PASSED id``, ``FAILED id - reason``)."""
    prefix = f"{outcome} "
    return sorted(line[len(prefix) :].split(" - ", 1)[0] for line in result.text().splitlines() if line.startswith(prefix))
