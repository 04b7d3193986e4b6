"""``[tool.autoheal.cli]``: the CLI variants to monitor."""

from __future__ import annotations

from ..._model import Section


class CliConfig(Section):
    variants: list[dict] = []
