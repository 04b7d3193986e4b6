"""What the plugin publishes at the start and end of a session (on the controller)."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import store

if TYPE_CHECKING:
    from . import model
    from .history import History

# The report's modules (model, render, history, github) load when a session publishes, not at start-up.


def open_history(report_dir: Path, cfg: Any) -> History:
    from .history import History, history_path

    max_runs = getattr(getattr(cfg, "report", None), "history_max_runs", 200)
    return History(history_path(report_dir, cfg), max_runs=max_runs)


# Problems met at session start, told in the report and the warnings summary at the end.
_start_notes: dict[Path, list[str]] = {}


def archive_previous(report_dir: Path, cfg: Any) -> None:
    """Keep what the previous run in ``report_dir`` found before its records are cleared.

    Called when :func:`store.unpublished_run` says that run never published (the session
    checks that first, so a normal start loads none of the report's modules).
    """
    report_dir = Path(report_dir)
    _start_notes.pop(report_dir, None)
    from . import model
    from .history import HistoryWarning

    inputs = model.load_inputs([report_dir])
    if not inputs.runs and not inputs.records:
        return
    history = open_history(report_dir, cfg)
    # Normally the previous session already added itself; this catches a session that ended before publishing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HistoryWarning)
        for entry in model.current_entries(inputs):
            history.append(entry)
    if history.notes:
        _start_notes[report_dir] = history.notes


def publish_session(
    report_dir: Path, run: dict[str, Any], cfg: Any, config: Any = None, *, records: list[dict[str, Any]] | None = None
) -> Path | None:
    """Write the health report (and CI summaries) for the run that just ended.

    ``run`` is the run summary just written and ``records`` the records just read, when the
    caller has them: neither is read back from disk.
    """
    from . import model, render
    from .history import run_entry

    report_dir = Path(report_dir)
    inputs = model.load_inputs([report_dir], records=records, runs=[run])
    history = open_history(report_dir, cfg)
    for note in _start_notes.pop(report_dir, []):
        history.note(note)
    history.append(run_entry(run, inputs.records))
    runs = history.runs()
    title = getattr(getattr(cfg, "report", None), "title", "Platform health")
    out = report_dir / store.HEALTH_FILE
    context = render.write_report([report_dir], out, history_runs=runs, title=title, notes=history.notes, inputs=inputs)
    if os.environ.get("GITHUB_ACTIONS", "").lower() == "true":
        publish_github(context, inputs, out, config)
    return out


def publish_github(context: dict[str, Any], inputs: model.Inputs, out: Path, config: Any = None) -> None:
    from . import github

    github.write_step_summary(context, out)
    latest: dict[str, dict[str, Any]] = {}
    for rec in inputs.records:
        latest[(rec.get("fingerprint") or {}).get("hash") or "unknown"] = rec
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    lines = github.annotations(context["clusters"], latest, workspace)
    github.emit_annotations(lines, _writer(config))


def _writer(config: Any) -> Any:
    reporter = config.pluginmanager.get_plugin("terminalreporter") if config is not None else None
    if reporter is not None:
        # Workflow commands are read only at the start of a line; the progress line may still be open.
        if getattr(getattr(reporter, "_tw", None), "width_of_current_line", 0):
            reporter.write("\n")
        return reporter.write_line

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    return write
