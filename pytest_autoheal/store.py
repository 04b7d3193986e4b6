"""The one JSON writer and the report directory's layout.

Everything pytest-autoheal stores goes through :func:`write_json`: redacted, then written to a
temporary file in the same directory and renamed over the target, so readers never see half
a file, even with several processes writing one directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

RECORDS = "records"
INFLIGHT = "inflight"
RUN_FILE = "run.json"
HEALTH_FILE = "health.html"

# A record file bigger than this is not a record we wrote; readers skip it with a warning.
MAX_RECORD_BYTES = 8 * 1024 * 1024


def write_json(path: Path | str, data: Any, *, indent: int | None = 2) -> Path:
    """Redact ``data`` and write it to ``path`` atomically."""
    from .redact import redact, redact_data

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    # One pass over the serialised text is far cheaper than walking every string; if masking
    # ever touched JSON syntax, fall back to masking value by value.
    masked = redact(text)
    if masked != text:
        try:
            json.loads(masked)
        except ValueError:
            masked = json.dumps(redact_data(data), indent=indent, ensure_ascii=False, default=str)
    write_text(path, masked + "\n", already_redacted=True)
    return path


def write_text(path: Path | str, text: str, *, already_redacted: bool = False) -> Path:
    """Write ``text`` (redacted) to ``path`` atomically."""
    from .redact import redact

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not already_redacted:
        text = redact(text)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def unpublished_run(report_dir: Path | str) -> bool:
    """The directory holds a run whose session ended before it published (its health report is older, or markers remain)."""
    report_dir = Path(report_dir)
    run_file, health = report_dir / RUN_FILE, report_dir / HEALTH_FILE
    if not run_file.exists() and not records_dir(report_dir).is_dir():
        return False
    try:
        return not (health.stat().st_mtime >= run_file.stat().st_mtime and not any((report_dir / INFLIGHT).glob("*.json")))
    except OSError:
        return True


def read_json(path: Path | str) -> Any:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return json.load(fh)


def records_dir(report_dir: Path | str) -> Path:
    return Path(report_dir) / RECORDS


def record_path(report_dir: Path | str, record_id: str) -> Path:
    return records_dir(report_dir) / f"{record_id}.json"


def iter_record_files(report_dirs: Iterable[Path | str]) -> Iterator[Path]:
    """Record files of one or more report directories (shards), in a stable order."""
    for report_dir in report_dirs:
        folder = records_dir(report_dir)
        if folder.is_dir():
            yield from sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def load_records(report_dirs: Iterable[Path | str], *, errors: list[str] | None = None) -> list[dict[str, Any]]:
    """Read every record of the given report directories; bad files are listed in ``errors``.

    A record id seen in two shards is kept once (the most recently updated copy).
    """
    by_id: dict[str, dict[str, Any]] = {}
    for path in iter_record_files(report_dirs):
        try:
            if path.stat().st_size > MAX_RECORD_BYTES:
                raise ValueError(f"larger than {MAX_RECORD_BYTES} bytes")
            data = read_json(path)
            if not isinstance(data, dict) or "id" not in data:
                raise ValueError("not a failure record")
        except (OSError, ValueError) as exc:
            if errors is not None:
                errors.append(f"{path}: {exc}")
            continue
        previous = by_id.get(data["id"])
        if previous is None or str(data.get("updated_at", "")) >= str(previous.get("updated_at", "")):
            by_id[data["id"]] = data
    return sorted(by_id.values(), key=lambda r: (str(r.get("created_at", "")), r["id"]))
