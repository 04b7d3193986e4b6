"""Reading what a real pytest run (driven by pytester) left in its report directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..support.reports import read_records


def records(report_dir: Path) -> list[dict[str, Any]]:
    return read_records(report_dir)


def by_test(report_dir: Path) -> dict[str, dict[str, Any]]:
    return {(r["test"]["nodeid"], r["test"]["phase"]): r for r in records(report_dir)}


def run_json(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "run.json").read_text("utf-8"))


def all_text(report_dir: Path) -> str:
    return "\n".join(p.read_text("utf-8", errors="replace") for p in report_dir.rglob("*") if p.is_file())
