"""Reading real help output: argparse (the demo), click with nested groups (real click), configured lists, bad config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_autoheal.components.cli.discover import discover_subcommands, resolve_targets
from pytest_autoheal.components.cli.helpparse import parse_help
from pytest_autoheal.config import ConfigError, load_config
from tests.cli.conftest import DEMO_SCRIPT, CliProject
from tests.support.thirdparty import python_venv

CLICK_TOOL = '''
import click

@click.group()
@click.version_option("1.2.3")
def cli():
    """A tool with nested groups."""

@cli.group()
def db():
    """Database commands."""

@db.command("migrate")
@click.option("--dry-run", is_flag=True)
def migrate(dry_run):
    """Apply migrations."""
    click.echo("migrated")

@db.group("backup")
def backup():
    """Backups."""

@backup.command("create")
def create():
    """Create a backup."""

@cli.command("serve-now")
def serve_now():
    """Serve."""

if __name__ == "__main__":
    cli()
'''


def _config(tmp_path: Path, toml: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.autoheal.cli]\n{toml}")
    return load_config(tmp_path)


def test_argparse_help_of_the_demo_lists_its_subcommands_and_version():
    out = subprocess.run([sys.executable, str(DEMO_SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    info = parse_help(out)
    assert (info.style, info.has_usage, info.has_version) == ("argparse", True, True)
    assert info.subcommands == ["stats", "hash", "data", "selftest"]


def test_option_choices_are_not_taken_for_subcommands():
    text = "usage: http [--pretty {all,colors,format,none}] [METHOD] URL\n\npositional arguments:\n  METHOD  the method\n"
    assert parse_help(text).subcommands == []


def test_click_nested_groups_are_discovered_from_real_click(tmp_path: Path):
    bin_dir = python_venv("black", ["black"])  # black's venv brings click
    (tmp_path / "tool.py").write_text(CLICK_TOOL)
    cfg = _config(tmp_path, f'variants = [{{ script = "tool.py", python = "{bin_dir / "python"}" }}]\n')
    (target,) = resolve_targets(cfg)
    found = [s.label for s in discover_subcommands(target, timeout=60)]
    # click lists commands alphabetically.
    assert found == ["db", "db backup", "db backup create", "db migrate", "serve-now"]


def test_listed_subcommands_are_used_instead_of_help(tmp_path: Path):
    cfg = _config(tmp_path, f'variants = [{{ script = "{DEMO_SCRIPT}", subcommands = ["hash", "data csv"] }}]\n')
    (target,) = resolve_targets(cfg)
    assert [s.label for s in discover_subcommands(target, timeout=60)] == ["hash", "data csv"]


def test_distribution_entry_points_give_its_console_scripts(tmp_path: Path):
    cfg = _config(tmp_path, 'variants = [{ distribution = "autoheal-demo" }]\n')
    targets = resolve_targets(cfg)
    assert sorted(t.name for t in targets) == ["autoheal-demo", "autoheal-demo-dashboard", "autoheal-demo-mcp"]
    assert all(t.problem is None and Path(t.argv[0]).name == t.name for t in targets)
    (only,) = resolve_targets(_config(tmp_path, 'variants = [{ distribution = "autoheal-demo", scripts = ["autoheal-demo"] }]\n'))
    assert only.name == "autoheal-demo"


def test_missing_distribution_is_a_failing_check_that_names_the_key(cli_project: CliProject):
    cli_project.configure('[tool.autoheal.cli]\nvariants = [{ distribution = "no-such-dist-for-autoheal" }]\n')
    result = cli_project.run("--autoheal-level=smoke", "--component=cli")
    # The --version check cannot tell and skips; the one failure is one record.
    result.assert_outcomes(failed=1, skipped=1)
    (record,) = cli_project.records()
    assert record["classification"]["class"] == "config"
    assert "tool.autoheal.cli.variants[0].distribution: 'no-such-dist-for-autoheal' is not installed" in record["error"]["message"]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('variants = [{ module = "a", script = "b.py" }]\n', "tool.autoheal.cli.variants.0"),
        ('variants = [{ module = "a", colour = "red" }]\n', "tool.autoheal.cli.variants.0.colour"),
        ("stress = { concurrency = 0 }\n", "tool.autoheal.cli.stress.concurrency"),
    ],
)
def test_bad_cli_config_is_one_message_naming_the_key(tmp_path: Path, toml: str, key: str):
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, toml)
    message = str(info.value)
    assert f"{key}:" in message and "\n" not in message
