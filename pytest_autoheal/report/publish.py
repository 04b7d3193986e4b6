"""What the plugin publishes at the start and end of a session (on the controller)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def archive_previous(report_dir: Path, cfg: Any) -> None:
    """Keep what the previous run in ``report_dir`` found before its records are cleared."""


def publish_session(report_dir: Path, run: dict[str, Any], cfg: Any, config: Any = None) -> Path | None:
    """Write the health report (and CI summaries) for the run that just ended."""
    return None
