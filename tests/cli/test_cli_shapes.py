"""CLIs of other shapes, as real programs: argparse subparsers under a metavar, a click group with a
default command, pip's subcommands whose help has no usage line, help text with URL placeholders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pytest_autoheal.components.cli.discover import discover_subcommands, resolve_targets
from pytest_autoheal.config import load_config
from tests.cli.conftest import CliProject

METAVAR_CLI = """
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="datasets")
    parser.add_argument("--proxy", help="Specify a proxy in the form scheme://[user:passwd@]proxy.server:port.")
    commands = parser.add_subparsers(metavar="COMMAND", dest="command")
    load = commands.add_parser("load", help="Load a dataset")
    load.add_argument("name")
    commands.add_parser("save", help="Save a dataset")
    commands.add_parser("vacuum")  # no help: argparse lists it nowhere
    cache = commands.add_parser("cache", help="Manage the cache")
    cache_commands = cache.add_subparsers(metavar="ACTION", dest="action")
    cache_commands.add_parser("clear")
    cache_commands.add_parser("stats")
    args = parser.parse_args(argv)
    if args.command == "load":
        raise ConnectionError(f"cannot reach https://loader:Sup3rS3cret@data.example.com/{args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""

DEFAULT_GROUP_CLI = '''
import click


class DefaultGroup(click.Group):
    """A group that runs its default command when none is given and marks it with * in the help."""

    def __init__(self, *args, default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, self.default)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx, formatter):
        rows = [(name + ("*" if name == self.default else ""), cmd.get_short_help_str()) for name, cmd in sorted(self.commands.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=DefaultGroup, default="serve")
def cli():
    """A dashboard server."""


@cli.command()
@click.option("--port", default=8899)
def serve(port):
    """Serve the dashboard (the default)."""


@cli.command()
def status():
    """Show the status."""


if __name__ == "__main__":
    cli()
'''


def _targets(tmp_path: Path, toml: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.autoheal.cli]\n{toml}")
    return resolve_targets(load_config(tmp_path))


def test_argparse_subcommands_under_a_metavar_are_read_from_the_help_and_from_the_parser(tmp_path: Path):
    (tmp_path / "datasets.py").write_text(METAVAR_CLI)
    (script,) = _targets(tmp_path, 'variants = [{ script = "datasets.py" }]\n')
    # The parser itself: every subcommand, also those the help does not list.
    assert [s.label for s in discover_subcommands(script, timeout=60)] == ["load", "save", "vacuum", "cache", "cache clear", "cache stats"]
    # A command line is not importable: the help's positional list is what there is.
    (command,) = _targets(tmp_path, f'variants = [{{ command = ["{sys.executable}", "{tmp_path / "datasets.py"}"] }}]\n')
    assert [s.label for s in discover_subcommands(command, timeout=60)] == ["load", "save", "cache"]


def test_a_click_group_default_command_is_discovered(tmp_path: Path):
    (tmp_path / "dash.py").write_text(DEFAULT_GROUP_CLI)
    (target,) = _targets(tmp_path, 'variants = [{ script = "dash.py" }]\n')
    assert [s.label for s in discover_subcommands(target, timeout=60)] == ["serve", "status"]


def test_shapes_run_through_the_suite_without_false_failures(cli_project: CliProject):
    datasets = cli_project.pytester.path / "datasets.py"
    datasets.write_text(METAVAR_CLI)
    dash = cli_project.script("dash", DEFAULT_GROUP_CLI)
    cli_project.configure(
        "[tool.autoheal.cli]\n"
        "variants = [\n"
        f'  {{ script = "{datasets}", name = "datasets" }},\n'
        f'  {{ script = "{dash}", name = "dash" }},\n'
        '  { module = "pip", name = "pip", subcommands = ["completion", "cache list"], usage_exit_codes = [2] },\n'
        "]\n"
        'examples = [{ name = "load", args = ["load", "squad"], exit_code = 0, variants = ["datasets"] }]\n'
    )
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-rA", "-k", "help or example", "-n", "2")
    passed = {line.split("PASSED ", 1)[1].split("::", 1)[1] for line in result.outlines if line.startswith("PASSED ")}
    # In any order: xdist reports them as they finish.
    for name in ("datasets::vacuum", "datasets::cache stats", "dash::serve", "pip::completion"):
        assert f"test_subcommand_answers_help[{name}]" in passed, (name, sorted(passed))
    # The only failure: the example whose command crashes; its record keeps the help's placeholder and hides the password.
    (record,) = cli_project.records()
    assert record["test"]["nodeid"].endswith("test_example_runs_as_configured[datasets::load]")
    assert record["error"]["type"] == "ConnectionError"
    text = json.dumps(record)
    assert "Sup3rS3cret" not in text and "loader:[REDACTED:password]@data.example.com" in text


def test_help_placeholders_for_credentials_are_not_redacted():
    from pytest_autoheal.redact import redact

    helps = [
        "--proxy <proxy>  Specify a proxy in the form scheme://[user:passwd@]proxy.server:port.",
        "e.g. http://user:password@proxy:3128 or https://<user>:<token>@host",
        "--password=<password>   or set password: PASSWORD",
    ]
    assert [redact(h) for h in helps] == helps
    assert redact("https://admin:s3cr3tP4ss@db.example.com") == "https://admin:[REDACTED:password]@db.example.com"
    assert redact("password=hunter22x") == "password=[REDACTED:credential]"
