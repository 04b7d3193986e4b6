"""Render the health report: one self-contained HTML file (inline CSS, script and SVG; images as data: URIs)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import store
from . import model, svg

TEMPLATE = "health.html.j2"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_autoheal.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between sessions: compiling the report template costs more than rendering it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "pytest-autoheal", f"jinja-{jinja2.__version__}")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(folder)


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    folder = resources.files("pytest_autoheal.report").joinpath("templates")
    css = folder.joinpath("health.css").read_text("utf-8")
    js = folder.joinpath("health.js").read_text("utf-8")
    # The page allows only its own script (by hash): an injected <script> could not run even if it got through.
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return css, js, f"sha256-{digest}"


def render(context: Mapping[str, Any]) -> str:
    from .. import __version__

    css, js, script_hash = _assets()
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            **context,
            css=Markup(css),
            js=Markup(js),
            script_hash=script_hash,
            version=__version__,
            trend_chart=svg.outcome_trend(context.get("trend_runs") or []),
            class_chart=svg.class_bars(context.get("by_class") or []),
        )
    )


def write_report(
    dirs: Sequence[Path | str],
    out: Path,
    *,
    history_runs: Sequence[Mapping[str, Any]] = (),
    title: str = "Platform health",
    notes: Sequence[str] = (),
    inputs: model.Inputs | None = None,
) -> dict[str, Any]:
    """Build, render and write the report to ``out``; returns the context it showed."""
    out = Path(out).resolve()
    context = model.build(dirs, out=out, history_runs=history_runs, title=title, notes=notes, inputs=inputs)
    store.write_text(out, render(context))
    return context
