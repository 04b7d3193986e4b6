"""The cli suite: each level's checks, read as the level definitions say them."""

from __future__ import annotations

import pytest

from pytest_autoheal.components.cli import checks
from pytest_autoheal.errors import TargetFailure
from pytest_autoheal.plugin import autoheal_session

pytestmark = pytest.mark.component("cli")


@pytest.fixture
def cli(request: pytest.FixtureRequest):
    session = autoheal_session(request.config)
    return session.cfg.cli, session.roots


@pytest.mark.level("smoke")
def test_variant_answers_help(cli, cli_target, autoheal_record):
    cfg, roots = cli
    info = checks.check_help(cfg, cli_target, [], roots)
    autoheal_record.metrics.update(style=info.style, subcommands=len(info.subcommands))


@pytest.mark.level("smoke")
def test_variant_answers_version(cli, cli_target, autoheal_record):
    cfg, roots = cli
    has_version = cli_target.variant.version
    if has_version is None:
        try:
            has_version = checks.check_help(cfg, cli_target, [], roots).has_version
        except TargetFailure as exc:
            pytest.skip(f"cannot tell whether {cli_target.name} has --version: {exc.summary} (recorded by test_variant_answers_help)")
    if not has_version:
        pytest.skip(f"{cli_target.name} has no --version option")
    autoheal_record.metrics["version"] = checks.check_version(cfg, cli_target, roots)


@pytest.mark.level("comprehensive")
def test_subcommand_answers_help(cli, cli_subcommand):
    cfg, roots = cli
    target, sub = cli_subcommand
    checks.check_help(cfg, target, sub.path, roots)


@pytest.mark.level("comprehensive")
def test_invalid_option_gives_usage_error(cli, cli_target):
    cfg, roots = cli
    checks.check_usage_error(cfg, cli_target, [], roots)


@pytest.mark.level("comprehensive")
def test_subcommand_invalid_option_gives_usage_error(cli, cli_subcommand):
    cfg, roots = cli
    target, sub = cli_subcommand
    checks.check_usage_error(cfg, target, sub.path, roots)


@pytest.mark.level("comprehensive")
def test_subcommand_runs_bare_without_crashing(cli, cli_bare):
    cfg, roots = cli
    target, sub = cli_bare
    checks.check_bare(cfg, target, sub.path, roots)


@pytest.mark.level("comprehensive")
def test_example_runs_as_configured(cli, cli_example, autoheal_record):
    cfg, roots = cli
    target, example = cli_example
    result = checks.check_example(cfg, target, example, roots)
    autoheal_record.metrics["duration_ms"] = round(result.duration * 1000, 1)


@pytest.mark.level("comprehensive")
def test_uncaught_error_is_recorded_by_error_handler(cli, cli_error_reporting, autoheal_record):
    cfg, roots = cli
    target, check = cli_error_reporting
    record = checks.check_error_reporting(cfg, target, check, roots)
    autoheal_record.metrics["reported_fingerprint"] = record["fingerprint"]["hash"]


@pytest.mark.level("stress")
def test_variant_under_load_stays_within_budgets(cli, cli_target, autoheal_record):
    cfg, roots = cli
    result = checks.stress(cfg, cli_target, cfg.stress)
    autoheal_record.metrics.update(result.metrics())
    failures = checks.check_budgets(cfg, cli_target, cfg.stress, result, roots)
    if failures:
        # One record per distinct failure under load; the test fails once.
        autoheal_record.fail(failures, found_in=f"{result.runs} runs under load")
