"""``[tool.autoheal.js_sdk]``: the SDK files and its own tests."""

from __future__ import annotations

from ..._model import Section


class JsSdkConfig(Section):
    files: list[str] = []
