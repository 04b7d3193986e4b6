import pytest

pytest_plugins = ["pytester"]

# Inner pytest runs must not write into a real GitHub Actions job's summary or annotations.
_CI_OUTPUTS = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ENV")


@pytest.fixture(autouse=True)
def _no_github_actions_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CI_OUTPUTS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def autoheal_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project that asks for the plugin as a monitored repository does: an empty ``[tool.autoheal]`` table.

    A project without one leaves the installed plugin inert (tests/install proves that).
    """
    pytester.makefile(".toml", pyproject="[tool.autoheal]\n")
    return pytester
