"""Third-party targets for the suites' tests: each in its own venv or npm prefix, built once.

Builds are cached under ``.cache/thirdparty/`` of the checkout and guarded by a file lock,
so xdist workers that need the same target wait for one build instead of racing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("AUTOHEAL_THIRDPARTY_CACHE", ROOT / ".cache" / "thirdparty"))


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _key(name: str, spec: Sequence[str]) -> Path:
    digest = hashlib.sha256("\n".join(spec).encode()).hexdigest()[:10]
    return CACHE / f"{name}-{digest}"


def python_venv(name: str, packages: Sequence[str], *, timeout: float = 600) -> Path:
    """A venv with ``packages`` installed from PyPI; returns its ``bin`` directory."""
    target = _key(name, packages)
    done = target / ".complete"
    with _locked(target):
        if not done.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True, timeout=timeout)
            subprocess.run(
                [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
                check=True,
                timeout=timeout,
            )
            done.write_text("ok\n")
    return target / "bin"


def npm_prefix(name: str, packages: Sequence[str], *, timeout: float = 600) -> Path:
    """An npm prefix with ``packages`` installed; returns its ``node_modules/.bin`` directory."""
    target = _key(name, packages)
    done = target / ".complete"
    with _locked(target):
        if not done.exists():
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--loglevel=error", *packages],
                check=True,
                timeout=timeout,
            )
            done.write_text("ok\n")
    return target / "node_modules" / ".bin"
