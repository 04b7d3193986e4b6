"""Reading what a real pytest run (driven by pytester) left in its report directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_autoheal.record import validation_errors


def records(report_dir: Path) -> list[dict[str, Any]]:
    folder = report_dir / "records"
    out = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        assert validation_errors(data) == [], (path, validation_errors(data))
        out.append(data)
    return out


def by_test(report_dir: Path) -> dict[str, dict[str, Any]]:
    return {(r["test"]["nodeid"], r["test"]["phase"]): r for r in records(report_dir)}


def run_json(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "run.json").read_text("utf-8"))


def all_text(report_dir: Path) -> str:
    return "\n".join(p.read_text("utf-8", errors="replace") for p in report_dir.rglob("*") if p.is_file())
