"""Reading what a real run left in its report directory, and writing the small TOML configs tests need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_autoheal.record import validation_errors


def read_records(report_dir: Path) -> list[dict[str, Any]]:
    """Every record under ``<report_dir>/records``, each checked against failure-record.v1.json."""
    out = []
    for path in sorted((Path(report_dir) / "records").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        assert validation_errors(data) == [], (path, validation_errors(data))
        out.append(data)
    return out


def toml_value(value: Any) -> str:
    """TOML for strings, numbers, booleans, lists and inline tables (enough for the configs in tests)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"
