"""``[tool.autoheal.dashboard]``: how to start or reach the dashboard and what to load."""

from __future__ import annotations

from ..._model import Section


class DashboardConfig(Section):
    command: list[str] | str | None = None
    base_url: str | None = None
    pages: list[str] = []
    api: list[str] = []
