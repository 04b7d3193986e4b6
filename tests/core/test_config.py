"""[tool.autoheal] is validated before any test runs; errors are one sentence naming file and key."""

from __future__ import annotations

import pytest

from pytest_autoheal.config import ConfigError, load_config

PASSING = "def test_ok():\n    pass\n"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[tool.autoheal]\nreport_dirr = 'x'\n", "*pyproject.toml: tool.autoheal.report_dirr: unknown key*"),
        ("[tool.autoheal]\nlevel = 'smoky'\n", "*pyproject.toml: tool.autoheal.level: *unknown level 'smoky'*"),
        ("[tool.autoheal.heal]\nmax_reports_per_session = 'ten'\n", "*tool.autoheal.heal.max_reports_per_session: *integer*"),
        (
            "[tool.autoheal.classify]\npatterns = [{class = 'config', regex = '(unclosed'}]\n",
            "*tool.autoheal.classify.patterns: *pattern 0*",
        ),
    ],
)
def test_bad_configuration_is_one_message_before_any_test(pytester: pytest.Pytester, toml: str, expected: str) -> None:
    pytester.makefile(".toml", pyproject=toml)
    pytester.makepyfile(PASSING)
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stderr.str()
    assert "test_ok" not in result.stdout.str()


def test_invalid_toml_in_the_config_file_is_one_message(pytester: pytest.Pytester) -> None:
    (pytester.path / "bad.toml").write_text("[mcp\nbroken")
    pytester.makepyfile(PASSING)
    result = pytester.runpytest_subprocess("--autoheal-config=bad.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad.toml: not valid TOML: *"])
    assert "Traceback" not in result.stderr.str()


def test_explicit_config_file_is_used_and_missing_one_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_bad():\n    assert False\n")
    (pytester.path / "target.toml").write_text("report_dir = 'from-file'\n")
    pytester.runpytest_subprocess("--autoheal-config=target.toml").assert_outcomes(failed=1)
    assert list((pytester.path / "from-file" / "records").glob("*.json"))
    result = pytester.runpytest_subprocess("--autoheal-config=missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--autoheal-config: file not found:*missing.toml*"])


def test_config_patterns_extend_classification(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        pyproject="[tool.autoheal.classify]\npatterns = [{class = 'quota', regex = 'quota of \\d+ exceeded', confidence = 0.9}]\n",
    )
    pytester.makepyfile("def test_quota():\n    raise RuntimeError('quota of 100 exceeded for tenant 7')\n")
    pytester.runpytest_subprocess().assert_outcomes(failed=1)
    from .helpers import records

    (rec,) = records(pytester.path / "autoheal-reports")
    assert rec["classification"]["class"] == "quota"
    assert "quota of 100 exceeded" in rec["classification"]["evidence"][0]


def test_seed_environment_variables_set_heal_defaults(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERROR_MIN_REPORT_INTERVAL", "7200")
    monkeypatch.setenv("ERROR_MAX_REPORTS_PER_SESSION", "3")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/platform")
    (tmp_path / "pyproject.toml").write_text("[tool.autoheal]\n")
    cfg = load_config(tmp_path)
    assert (cfg.heal.min_report_interval, cfg.heal.max_reports_per_session, cfg.heal.repo) == (7200, 3, "acme/platform")


def test_relative_paths_resolve_against_the_config_file(tmp_path) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    (sub / "autoheal.toml").write_text("report_dir = 'out'\n")
    cfg = load_config(tmp_path, str(sub / "autoheal.toml"))
    assert cfg.path(cfg.report_dir) == sub / "out"


def test_wrong_type_for_a_section_names_the_key(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.autoheal]\nin_app = 3\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.autoheal.in_app: "):
        load_config(tmp_path)
