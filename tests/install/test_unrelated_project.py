"""A project that never asked for pytest-autoheal, in a venv where it is installed: not a file, not a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.install import normalised_output

from .conftest import UserRepo

PYPROJECT = """[project]
name = "unrelated"
version = "1.0"

[tool.pytest.ini_options]
addopts = "-p no:cacheprovider"
"""

TESTS = """
def test_adds():
    assert 1 + 1 == 2


def test_subtracts():
    assert 3 - 1 == 1
"""


@pytest.fixture
def project(user_repo: UserRepo) -> UserRepo:
    user_repo.write("pyproject.toml", PYPROJECT)
    user_repo.write("tests/test_maths.py", TESTS)
    return user_repo


def autoheal_traces(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if "autoheal" in p.name]


def test_help_leaves_nothing(project: UserRepo) -> None:
    result = project.pytest("--help")
    assert result.returncode == 0 and "--autoheal-level" in result.text()
    assert autoheal_traces(project.path) == []


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_passing_and_failing_run_is_what_it_is_without_the_plugin(project: UserRepo, args: tuple[str, ...]) -> None:
    inert = project.pytest(*args)
    assert inert.returncode == 1, inert.describe()
    assert "1 failed, 1 passed" in inert.text()
    assert autoheal_traces(project.path) == []
    off = project.pytest("-p", "no:autoheal", *args)
    assert normalised_output(inert.text()) == normalised_output(off.text())
    assert inert.text("stderr") == off.text("stderr")
