"""smoke: every SDK file the config finds parses (as an ES module where it is one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_autoheal.components.js_sdk.checks import parse_failure
from pytest_autoheal.components.js_sdk.config import JsSdkConfig
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("js_sdk"), pytest.mark.level("smoke")]


def test_sdk_file_parses(sdk_file: Path | None, js_sdk_cfg: JsSdkConfig, node: str, base_dir: Path, roots: list[str]) -> None:
    if sdk_file is None:
        raise TargetFailure(
            f"no SDK file matches [tool.autoheal.js_sdk] files = {js_sdk_cfg.files} (relative to {base_dir})",
            error_type="ConfigError",
            hint="config",
        )
    failure = parse_failure(sdk_file, cfg=js_sdk_cfg, node=node, base_dir=base_dir, roots=roots)
    if failure is not None:
        raise failure
