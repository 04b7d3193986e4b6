"""pytest-autoheal as users get it: the wheel built from this checkout, installed (not editable) outside it.

The wheel is built once per state of the packaged sources (from a copy of them, so the checkout gets
no build/ or egg-info), and installed with ``[all]`` into a venv under the system temp directory,
never under the checkout: nothing of this repository (its conftest, its ini) may be on the way
from an installed suite to the user's repository. Both are cached by a digest of the sources and
guarded by a file lock, like the third-party targets.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .thirdparty import _locked

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(tempfile.gettempdir()) / f"autoheal-install-{os.getuid()}"
# What the wheel is built from (pyproject.toml and setup.py say the rest).
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "pytest_autoheal", "suites")
STALE_SECONDS = 24 * 3600


def source_files() -> list[Path]:
    """The packaged sources, relative to the checkout, without bytecode."""
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        if path.is_file():
            files.append(Path(name))
            continue
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                files.append(p.relative_to(ROOT))
    return files


def source_digest() -> str:
    digest = hashlib.sha256()
    for rel in source_files():
        digest.update(rel.as_posix().encode() + b"\0" + (ROOT / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def built_wheel(timeout: float = 600) -> Path:
    """The wheel of the current sources (``pip wheel``, build isolation from the package index)."""
    key = source_digest()
    out = CACHE / f"wheel-{key}"
    with _locked(out):
        wheels = sorted(out.glob("pytest_autoheal-*.whl"))
        if not wheels:
            _prune()
            with tempfile.TemporaryDirectory(prefix="autoheal-src-") as tmp:
                src = Path(tmp) / "src"
                for rel in source_files():
                    (src / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / rel, src / rel)
                subprocess.run(
                    [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
                    check=True,
                    timeout=timeout,
                    capture_output=True,
                )
            wheels = sorted(out.glob("pytest_autoheal-*.whl"))
        (wheel,) = wheels
        return wheel


def fresh_venv(path: Path, timeout: float = 300) -> Path:
    """A new, empty venv; returns its ``bin`` directory."""
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True, timeout=timeout)
    return path / "bin"


def installed_venv(extras: str = "all", timeout: float = 900) -> Path:
    """A venv holding ``pytest-autoheal[extras]`` from the built wheel, and nothing of the checkout; returns ``bin``."""
    wheel = built_wheel()
    target = CACHE / f"venv-{source_digest()}-{extras}"
    with _locked(target):
        if not (target / ".complete").exists():
            bin_dir = fresh_venv(target)
            subprocess.run(
                [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[{extras}]"],
                check=True,
                timeout=timeout,
                capture_output=True,
            )
            (target / ".complete").write_text("ok\n")
    return target / "bin"


def clean_env(bin_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: this test run's pytest and Python settings removed, ``bin_dir`` first on PATH."""
    drop = ("PYTEST_", "PYTHON", "COV_", "GITHUB_", "VIRTUAL_ENV", "AUTOHEAL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return {**env, **extra}


def _prune() -> None:
    """Wheels and venvs of source states nobody has used for a day go (each venv holds ~300 MB)."""
    if not CACHE.is_dir():
        return
    now = time.time()
    for entry in CACHE.iterdir():
        if entry.is_dir() and entry.name.startswith(("wheel-", "venv-")) and now - entry.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)


# A progress line (".F   [100%]"): its letters come in the order the tests finish, which xdist workers do not keep.
_PROGRESS = re.compile(r"^([.FEsxX]+)(\s+\[\s*\d+%\])$")


def normalised_output(text: str) -> list[str]:
    """A run's terminal output without what differs between two runs of the same tests.

    Times, xdist worker names, the plugins line, and the order of the outcome letters on a progress line.
    """
    lines = [line for line in text.splitlines() if not line.startswith(("plugins:", "rootdir:", "configfile:"))]
    lines = [_PROGRESS.sub(lambda m: "".join(sorted(m.group(1))) + m.group(2), line) for line in lines]
    return sorted(re.sub(r"\[gw\d+\]", "[gw]", re.sub(r"\bin \d+\.\d+s\b.*", "in <time>", line)) for line in lines)
