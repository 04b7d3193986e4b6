"""Stack frames, from live tracebacks and from traceback text (subprocess stderr, CI logs).

Both sources give the same :class:`Frame` values, so a bug seen in a test, in a CLI's stderr
and in a CI log gets one fingerprint. Module names come from file paths (relative to a root,
or to ``site-packages``), never from absolute paths, so another checkout gives the same names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import Any

from .lazyre import lazy

_SITE_MARKERS = ("site-packages", "dist-packages")
_NOT_IN_APP_PARTS = {"_pytest", "pytest", "pluggy", "pytest_autoheal", "xdist", "execnet", "pytest_timeout", "pytest_rerunfailures"}


@cache
def _stdlib_dirs() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({str(Path(p).resolve()) for p in (paths.get("stdlib"), paths.get("platstdlib")) if p})

_STDLIB_TEXT = lazy(r"[/\\]lib[/\\]python\d+(\.\d+)?[/\\](?!site-packages|dist-packages)")


@dataclass(frozen=True)
class Frame:
    module: str
    function: str
    file: str
    line: int | None
    source: str
    in_app: bool = True

    def key(self) -> str:
        """The part of a frame that goes into a fingerprint: no line number, no absolute path."""
        return f"{self.module}:{self.function}:{normalise_source(self.source)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedTraceback:
    type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    text: str = ""


def normalise_source(line: str) -> str:
    return " ".join(line.split())


def _pure(path: str) -> PurePosixPath | PureWindowsPath:
    return PureWindowsPath(path) if re.match(r"^[A-Za-z]:\\", path) else PurePosixPath(path.replace("\\", "/"))


# Where CI runners check a repository out: GitHub's hosted (<work>/R/R), self-hosted (_work/R/R), container (/__w/R/R)
# and Windows (D:\\a\\R\\R) layouts, and Docker container actions' /github/workspace.
_CHECKOUT_LAYOUT = lazy(r"^(?P<root>(?:.*?/(?:work|_work|__w)|[A-Za-z]:/a)/(?P<name>[^/]+)/(?P=name)|/github/workspace)/")
# The runner's own code: actions, their temporary scripts and tool caches are never the project's frames.
_RUNNER_PLUMBING = lazy(r"/(?:_actions|_temp|_tool|hostedtoolcache|__t|__e)/|/runners/\d")


def module_from_path(file: str, roots: Sequence[str | Path] = ()) -> str:
    """Dotted module name for a source file, stable across checkouts and machines.

    The name is the path below the checkout: below the innermost root that holds the file, else below
    a CI runner's checkout directory, else the longest tail of the path that names a file of the
    repository at hand (under one of ``roots`` on disk), else the file name alone. So the same file
    gets the same name whatever directory the code was checked out to.
    """
    if not file or file.startswith("<"):
        return file.strip("<>") or "unknown"
    p = _pure(file)
    parts: tuple[str, ...] = p.parts
    for marker in _SITE_MARKERS:
        if marker in parts:
            parts = parts[len(parts) - parts[::-1].index(marker) :]
            break
    else:
        # The innermost root wins: a source root listed in in_app names modules as they are imported.
        matching = [r for r in (_pure(str(root)).parts for root in roots) if p.is_absolute() and parts[: len(r)] == r]
        if matching:
            parts = parts[len(max(matching, key=len)) :]
        elif p.is_absolute():
            parts = _checkout_relative(parts, tuple(str(r) for r in roots))
    return _dotted(parts)


def _dotted(parts: tuple[str, ...]) -> str:
    parts = tuple(x for x in parts if x not in ("", ".", "/", "\\"))
    if not parts:
        return "unknown"
    last = re.sub(r"\.(py|pyw|pyc|js|mjs|cjs|ts|jsx|tsx)$", "", parts[-1])
    parts = (*parts[:-1], last)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


@cache
def _checkout_relative(parts: tuple[str, ...], roots: tuple[str, ...]) -> tuple[str, ...]:
    """The parts of an absolute path below the checkout it belongs to, when no root holds it."""
    posix = parts[0].rstrip("/\\") + "/" + "/".join(parts[1:]) if parts else ""
    m = _CHECKOUT_LAYOUT.match(posix)
    if m:
        return tuple(x for x in posix[m.end() :].split("/") if x)
    # The repository at hand (the directory analysed from, --root, the rootdir) names its own files.
    anchored = bool(parts) and (parts[0] in ("/", "\\") or bool(re.match(r"^[A-Za-z]:", parts[0])))
    tail = parts[1:] if anchored else parts
    for k in range(len(tail)):
        rel = tail[k:]
        if len(rel) < 2 and k < len(tail) - 1:
            continue
        if any(Path(root, *rel).is_file() for root in roots):
            return rel
    return parts[-1:]


def checkout_root(file: str) -> str | None:
    """The CI checkout directory an absolute path lies in (GitHub runner layouts), if it shows one."""
    m = _CHECKOUT_LAYOUT.match(file.replace("\\", "/"))
    return m.group("root") if m else None


def is_in_app(file: str, roots: Sequence[str | Path] = ()) -> bool:
    """Is a frame the project's own code (not the standard library, installed packages, test runners or CI plumbing)?

    Paths outside ``roots`` still count: a log's paths come from another machine, and a checkout
    elsewhere than the roots say is still the project's code.
    """
    if not file or file.startswith("<"):
        return False
    p = _pure(file)
    if any(marker in p.parts for marker in _SITE_MARKERS):
        return False
    if _NOT_IN_APP_PARTS.intersection(p.parts):
        return False
    if _STDLIB_TEXT.search(file) or any(file.startswith(d + "/") for d in _stdlib_dirs()):
        return False
    if ".venv" in p.parts or "node_modules" in p.parts or "venv" in p.parts:
        return False
    return not _RUNNER_PLUMBING.search(file.replace("\\", "/"))


def frames_from_traceback(tb: TracebackType | None, roots: Sequence[str | Path] = ()) -> list[Frame]:
    frames: list[Frame] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        file = code.co_filename
        line = tb.tb_lineno
        frames.append(
            Frame(
                module=module_from_path(file, roots),
                function=code.co_name,
                file=file,
                line=line,
                source=_source_line(file, line),
                in_app=is_in_app(file, roots) and not tb.tb_frame.f_globals.get("__tracebackhide__", False),
            )
        )
        tb = tb.tb_next
    return frames


def frames_from_exception(exc: BaseException, roots: Sequence[str | Path] = ()) -> list[Frame]:
    frames = frames_from_traceback(exc.__traceback__, roots)
    if isinstance(exc, SyntaxError) and exc.filename:
        # The offending line is the bug's location; it has no frame of its own.
        frames.append(
            Frame(
                module=module_from_path(exc.filename, roots),
                function="<module>",
                file=exc.filename,
                line=exc.lineno,
                source=(exc.text or "").strip(),
                in_app=is_in_app(exc.filename, roots),
            )
        )
    return frames


def _source_line(file: str, line: int) -> str:
    import linecache

    return linecache.getline(file, line).strip()


def exception_type_name(exc: BaseException | type[BaseException]) -> str:
    cls = exc if isinstance(exc, type) else type(exc)
    module = cls.__module__
    if module in ("builtins", "__main__", None):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


_TB_START = "Traceback (most recent call last):"
_FILE_LINE = lazy(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$')
_EXC_LINE = lazy(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Timeout|Failure|Failed|Iteration)?):?(?: (?P<msg>.*))?$"
)
_CHAIN_LINES = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)


def parse_python_traceback(text: str, roots: Sequence[str | Path] = ()) -> ParsedTraceback | None:
    """Parse the last Python traceback in ``text`` (stderr of a process, a log).

    Chained tracebacks yield the last (outermost raised) exception. Lines may carry a common
    prefix (timestamps of a CI log) which is ignored.
    """
    lines = text.splitlines()
    start = None
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].rstrip().endswith(_TB_START):
            start = i
            break
    if start is None:
        return _parse_bare_syntax_error(lines, roots)
    prefix_len = lines[start].rstrip().index(_TB_START)
    body = [ln[prefix_len:] if len(ln) >= prefix_len else ln.lstrip() for ln in lines[start + 1 :]]
    frames: list[Frame] = []
    i = 0
    exc_type = ""
    message_lines: list[str] = []
    while i < len(body):
        ln = body[i]
        m = _FILE_LINE.match(ln)
        if m:
            file = m.group("file")
            func = m.group("func") or "<module>"
            source = ""
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt.startswith("    ") and not _FILE_LINE.match(nxt):
                source = nxt.strip()
                i += 1
                # Skip caret lines (^^^^) of 3.11+ tracebacks and the SyntaxError pointer.
                while i + 1 < len(body) and re.fullmatch(r"\s*[~^]+\s*", body[i + 1]):
                    i += 1
            frames.append(
                Frame(
                    module=module_from_path(file, roots),
                    function=func,
                    file=file,
                    line=int(m.group("line")),
                    source=source,
                    in_app=is_in_app(file, roots),
                )
            )
            i += 1
            continue
        if ln.startswith(" ") or not ln.strip():
            i += 1
            if exc_type and not ln.strip():
                break
            continue
        em = _EXC_LINE.match(ln.strip())
        if em and not exc_type:
            exc_type = em.group("type")
            message_lines = [em.group("msg") or ""]
        elif exc_type:
            if ln.strip() in _CHAIN_LINES:
                break
            message_lines.append(ln)
        i += 1
    if not exc_type:
        return None
    return ParsedTraceback(
        type=exc_type,
        message="\n".join(message_lines).strip(),
        frames=frames,
        text="\n".join(lines[start:]),
    )


def _parse_bare_syntax_error(lines: list[str], roots: Sequence[str | Path]) -> ParsedTraceback | None:
    for i in range(len(lines) - 1, -1, -1):
        m = re.match(r"^\s*(SyntaxError|IndentationError|TabError): (.*)$", lines[i])
        if not m:
            continue
        for j in range(i - 1, max(i - 6, -1), -1):
            fm = _FILE_LINE.match(lines[j])
            if fm:
                source = lines[j + 1].strip() if j + 1 < i else ""
                file = fm.group("file")
                frame = Frame(
                    module=module_from_path(file, roots),
                    function=fm.group("func") or "<module>",
                    file=file,
                    line=int(fm.group("line")),
                    source=source,
                    in_app=is_in_app(file, roots),
                )
                return ParsedTraceback(type=m.group(1), message=m.group(2), frames=[frame], text="\n".join(lines[j : i + 1]))
        return ParsedTraceback(type=m.group(1), message=m.group(2), frames=[], text=lines[i])
    return None


def default_roots(rootdir: str | Path | None = None) -> list[str]:
    roots = []
    if rootdir is not None:
        roots.append(str(Path(rootdir).resolve()))
    cwd = str(Path.cwd().resolve())
    if cwd not in roots:
        roots.append(cwd)
    return roots


__all__ = [
    "Frame",
    "ParsedTraceback",
    "default_roots",
    "exception_type_name",
    "frames_from_exception",
    "frames_from_traceback",
    "is_in_app",
    "module_from_path",
    "normalise_source",
    "parse_python_traceback",
]
