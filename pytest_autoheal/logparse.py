"""Reading raw CI logs: GitHub Actions framing, pytest reports, Python tracebacks, node and npm output.

Pure text in, plain values out: the frames come out exactly as :mod:`pytest_autoheal.frames`
builds them from a live exception (module from the path relative to the root, function,
source line), so a failure read from a log fingerprints like the same failure seen by the
plugin. :mod:`pytest_autoheal.analyze` turns what this module finds into failure records.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .frames import Frame, checkout_root, is_in_app, module_from_path, parse_python_traceback
from .reporters.receiver import js_frames

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
_GROUP = re.compile(r"^(?:##\[group\]|::group::)(?P<title>.*)$")
_ENDGROUP = re.compile(r"^(?:##\[endgroup\]|::endgroup::)\s*$")
# ``gh run view --log-failed`` prefixes each line with the job and step names, tab-separated.
_GH_CLI = re.compile(r"^(?P<job>[^\t]+)\t(?P<step>[^\t]*)\t(?P<rest>\ufeff?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?.*)$")
_ERROR = re.compile(r"^(?:##\[error\]|::error(?: [^:]*)?::)(?P<msg>.*)$")

_SESSION_START = re.compile(r"^=+ test session starts =+$")
_ROOTDIR = re.compile(r"^rootdir: (?P<dir>.+?)(?:, (?:configfile|inifile|testpaths|plugins): .*)?$")
_BANNER = re.compile(r"^=+ (?P<title>.*?) =+$")
_REPORT_BANNER = re.compile(r"^=+ (?:ERRORS|FAILURES|short test summary info) =+$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_ENTRY_SEP = re.compile(r"^(?:_ ){5,}_?\s*$")
_CAPTURED = re.compile(r"^-{3,} Captured (?P<what>stdout|stderr|log) (?P<when>setup|call|teardown) -{3,}$")
# The plugin's own section under a failure: the record's fingerprint and class as JSON.
_AUTOHEAL_SECTION = re.compile(r"^-{3,} autoheal -{3,}$")
_SHORT_ENTRY = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^:\s][^:]*):(?P<line>\d+): in (?P<func>\S+)\s*$")
_LONG_END = re.compile(r"^(?P<path>(?:[A-Za-z]:)?[^:\s][^:]*):(?P<line>\d+):(?: (?P<type>[A-Za-z_][\w.]*)?)?\s*$")
_E_LINE = re.compile(r"^E(?P<rest>(?: .*)?)$")
_TYPE_MSG = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?:: (?P<msg>.*))?$")
_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<nodeid>\S+(?:\[[^\]]*\])?)(?: - (?P<reason>.*))?$")
_CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_SYNTAX_TYPES = ("SyntaxError", "IndentationError", "TabError")
_CARET = re.compile(r"^\s*[~^]+\s*$")

_NODE_ERROR = re.compile(
    r"^\[?(?:<ref \*\d+> )?(?:Uncaught )?(?P<type>(?:[A-Z]\w*)?(?:Error|Exception|Rejection)|AssertionError \[[\w_]+\])"
    r"(?: \[\w+\])?: (?P<msg>.*?)\]?(?: \{)?$"
)
_NODE_WARNING = re.compile(r"^\(node:\d+\) (?P<type>UnhandledPromiseRejection)Warning: (?P<msg>.*)$")
_NODE_CARET = re.compile(r"^\s*\^+\s*$")
_NODE_AT = re.compile(r"^\s+at (?:(?:async )?(?P<func>[^()]+?) \()?(?P<file>[^()\s]+?):(?P<line>\d+):(?P<col>\d+)\)?\s*$")
_NPM = re.compile(r"^npm (?:ERR!|error) ?(?P<msg>.*)$")
_TAP_NOT_OK = re.compile(r"^\s*not ok \d+ - (?P<name>.+?)(?: # .*)?$")


@dataclass
class LogLine:
    number: int
    text: str
    step: str


@dataclass
class PytestFailure:
    """One failing phase of one test (or one collection error) as pytest printed it."""

    nodeid: str
    phase: str
    type: str
    message: str
    frames: list[Frame]
    text: str
    stdout: str = ""
    stderr: str = ""
    log: str = ""
    step: str = ""
    line: int = 0
    complete: bool = True
    crashed: bool = False
    autoheal: dict[str, Any] | None = None


@dataclass
class LogFailure:
    """A failure outside a pytest report: a Python traceback, a node error, npm, a failed step."""

    name: str
    type: str
    message: str
    frames: list[Frame]
    text: str
    kind: str
    step: str = ""
    line: int = 0
    signal: str | None = None
    exit_code: int | None = None


@dataclass
class LogReport:
    pytest: list[PytestFailure] = field(default_factory=list)
    other: list[LogFailure] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    rootdirs: list[str] = field(default_factory=list)


def clean_lines(text: str) -> list[LogLine]:
    """Strip timestamps and colours, and note the step (``##[group]Run ...``) each line belongs to."""
    out: list[LogLine] = []
    step = ""
    for number, raw in enumerate(text.splitlines(), 1):
        gh = _GH_CLI.match(raw)
        if gh:
            step = f"{gh.group('job')} / {gh.group('step')}"
            raw = gh.group("rest")
        line = _ANSI.sub("", _TIMESTAMP.sub("", raw, count=1)).rstrip("\r")
        m = _GROUP.match(line)
        if m:
            title = m.group("title").strip()
            # A step's output follows its "Run ..." group, outside it; inner groups stay in the step.
            if title.startswith("Run ") or not step:
                step = title
            continue
        if _ENDGROUP.match(line):
            continue
        out.append(LogLine(number, line, step))
    return out


_CHECKOUT_DIR = re.compile(r"Working directory is '(?P<dir>[^']+)'")
# GitHub-hosted runners check a repository out to <work>/<name>/<name>.
_RUNNER_WORKSPACE = re.compile(
    r"(?P<dir>(?:/home/runner/work|/Users/runner/work|[A-Z]:\\a)[/\\](?P<name>[^/\\\s'\"]+)[/\\](?P=name))(?=[/\\'\"\s]|$)"
)


def workspace_roots(text: str) -> list[str]:
    """The checkout directory the log's absolute paths start with, as actions/checkout and the runner show it."""
    found = [m.group("dir") for m in _CHECKOUT_DIR.finditer(text[:2_000_000])]
    found += [m.group("dir") for m in _RUNNER_WORKSPACE.finditer(text[:2_000_000])]
    return list(dict.fromkeys(found))[:5]


_ABS_FILE = re.compile(
    # ES modules name their files as file:// URLs in stacks.
    r'File "(?P<f1>/[^"]+)", line \d+|\((?:file://)?(?P<f2>/[^():\s]+):\d+:\d+\)|^\s+at (?:file://)?(?P<f3>/[^():\s]+):\d+:\d+'
    r"|^(?P<f4>/\S+\.py):\d+: "
)
_REL_FILE = re.compile(r"(?<![\w/.-])(?P<rel>(?:[\w.-]+/)+[\w.-]+\.(?:py|[cm]?js|ts))(?=[:\s'\"]|::|$)")


def checkout_roots(lines: Sequence[LogLine], roots: Sequence[str | Path] = ()) -> list[str]:
    """Checkout directories a log's absolute paths start with, when no root or runner layout names them.

    The repository's own file names say where the checkout ends: relative paths the log prints (pytest's
    report, node ids, the step's command line) matched against the tail of each absolute path; failing
    that, the directory all the log's own absolute paths share.
    """
    files: list[str] = []
    relative: set[tuple[str, ...]] = set()
    for ln in lines[:200_000]:
        for m in _ABS_FILE.finditer(ln.text):
            files.append(m.group("f1") or m.group("f2") or m.group("f3") or m.group("f4"))
        for m in _REL_FILE.finditer(ln.text):
            if not m.group("rel").startswith(("../", "./")):
                relative.add(tuple(m.group("rel").split("/")))
    given = [PurePosixPath(str(r)).parts for r in roots if str(r).startswith("/")]
    loose = []
    for f in dict.fromkeys(files):
        parts = PurePosixPath(f).parts
        if not is_in_app(f) or checkout_root(f) or any(parts[: len(g)] == g for g in given if len(g) > 1):
            continue
        loose.append(parts)
    found: list[str] = []
    for parts in loose:
        for k in range(1, len(parts) - 1):
            if parts[k:] in relative:
                found.append(str(PurePosixPath(*parts[:k])))
                break
    rest = [p for p in loose if not any(p[: len(PurePosixPath(r).parts)] == PurePosixPath(r).parts for r in found)]
    if len({p[:-1] for p in rest}) > 1:
        common = rest[0][:-1]
        for p in rest[1:]:
            n = 0
            while n < min(len(common), len(p) - 1) and common[n] == p[n]:
                n += 1
            common = common[:n]
        # Not "/" or "/tmp": a directory that is a checkout, not the machine's.
        if len(common) > 2:
            found.append(str(PurePosixPath(*common)))
    return list(dict.fromkeys(found))[:10]


def parse_log(text: str, roots: Sequence[str | Path] = ()) -> LogReport:
    """Every failure a CI log shows, in order."""
    lines = clean_lines(text)
    roots = [*roots, *workspace_roots(text)]
    roots += checkout_roots(lines, roots)
    report = LogReport(steps=list(dict.fromkeys(ln.step for ln in lines if ln.step)))
    used: set[int] = set()
    i = 0
    while i < len(lines):
        # "-q" prints no session header: the report's own banners start it then.
        if _SESSION_START.match(lines[i].text) or _REPORT_BANNER.match(lines[i].text):
            end = _session_end(lines, i + 1)
            session = lines[i:end]
            used.update(range(i, end))
            rootdir = _rootdir(session)
            if rootdir:
                report.rootdirs.append(rootdir)
            session_roots = [*roots, rootdir] if rootdir else list(roots)
            found = parse_pytest_session(session, session_roots)
            if not found and not _BANNER_SUMMARY.search(session[-1].text):
                found = _cut_off_session(session, session_roots, lines[end:])
            report.pytest.extend(found)
            i = end
        else:
            i += 1
    rest = [ln for k, ln in enumerate(lines) if k not in used]
    report.other.extend(_other_failures(rest, list(roots) + report.rootdirs[:1], report))
    return report


_BANNER_SUMMARY = re.compile(
    r"^=+ .*\b(passed|failed|error|errors|skipped|deselected|no tests ran|xfailed|xpassed|warnings?)\b.* in [\d.]+s(?: \([\d:]+\))? =+$"
)


def _session_end(lines: list[LogLine], start: int) -> int:
    for k in range(start, len(lines)):
        if _SESSION_START.match(lines[k].text):
            return k
        if _BANNER_SUMMARY.match(lines[k].text):
            return k + 1
        if lines[k].step != lines[start - 1].step:
            return k
    return len(lines)


def _rootdir(session: list[LogLine]) -> str | None:
    for ln in session[:40]:
        m = _ROOTDIR.match(ln.text)
        if m:
            return m.group("dir").strip()
    return None


def parse_pytest_session(session: Sequence[LogLine], roots: Sequence[str | Path] = ()) -> list[PytestFailure]:
    """The failures of one pytest run: its ERRORS and FAILURES sections, named by the short summary."""
    sections: list[tuple[str, str, list[LogLine]]] = []
    summary: list[tuple[str, str]] = []
    loose: list[LogLine] = []
    xpassed: set[str] = set()
    block = ""
    current: list[LogLine] | None = None
    for ln in session:
        banner = _BANNER.match(ln.text)
        if banner:
            block = banner.group("title").strip().lower()
            current = None
            continue
        if block in ("errors", "failures"):
            m = _SECTION.match(ln.text)
            if m:
                current = []
                sections.append((block, m.group("title"), current))
            elif current is not None:
                current.append(ln)
            else:
                loose.append(ln)
        elif block == "short test summary info":
            m = _SUMMARY.match(ln.text)
            if m and (m.group("reason") or "").startswith("[XPASS(strict)]"):
                xpassed.add(m.group("nodeid"))
            elif m:
                summary.append((m.group("kind"), m.group("nodeid")))
    failures: list[PytestFailure] = []
    taken: set[int] = set()
    for block_name, title, body in sections:
        crash = next((m for ln in body[:3] if (m := _WORKER_CRASH.match(ln.text.strip()))), None)
        if crash:
            failures.append(_worker_crash(crash, body, summary, taken))
            continue
        nodeid, phase = _name_section(block_name, title, summary, taken)
        if any(ln.text.startswith("[XPASS(strict)]") for ln in body[:3]):
            # An unexpected pass has no exception: the plugin records none, neither do we.
            continue
        failure = parse_failure_section([ln.text for ln in body], roots)
        failure.nodeid = nodeid or failure.nodeid
        failure.phase = phase
        failure.step = body[0].step if body else ""
        failure.line = body[0].number if body else 0
        if not nodeid:
            failure.nodeid = _guess_nodeid(title, failure)
        failures.append(failure)
    left = [(kind, nodeid) for k, (kind, nodeid) in enumerate(summary) if k not in taken and kind == "FAILED"]
    if loose and left:
        failures.extend(_line_style(loose, left))
    return failures


_WORKER_CRASH = re.compile(r"^worker '?(?P<worker>gw\d+)'? crashed while running '(?P<nodeid>[^']+)'$")


def _worker_crash(m: re.Match[str], body: Sequence[LogLine], summary: list[tuple[str, str]], taken: set[int]) -> PytestFailure:
    """An xdist worker died mid-test: the plugin's crash record is made from the same line."""
    nodeid = m.group("nodeid")
    for k, (_kind, name) in enumerate(summary):
        if k not in taken and name == nodeid:
            taken.add(k)
            break
    return PytestFailure(
        nodeid=nodeid,
        phase="call",
        type="ProcessCrash",
        message=m.group(0),
        frames=[],
        text=m.group(0),
        step=body[0].step,
        line=body[0].number,
        crashed=True,
    )


def _name_section(block: str, title: str, summary: list[tuple[str, str]], taken: set[int]) -> tuple[str, str]:
    phase = "call"
    head = title
    m = re.match(r"^ERROR (?:at (?P<when>setup|teardown) of |collecting )(?P<head>.+)$", title)
    if m:
        phase = m.group("when") or "collect"
        head = m.group("head")
    kinds = ("ERROR",) if block == "errors" else ("FAILED",)
    for k, (kind, nodeid) in enumerate(summary):
        if k in taken or kind not in kinds:
            continue
        if phase == "collect":
            match = nodeid == head or nodeid.endswith("/" + head) or nodeid.split("::")[0] == head
        else:
            match = "::" in nodeid and nodeid.split("::", 1)[1].replace("::", ".") == head
        if match:
            taken.add(k)
            return nodeid, phase
    return (head if phase == "collect" else ""), phase


def _guess_nodeid(title: str, failure: PytestFailure) -> str:
    test_file = next((f.file for f in failure.frames if f.in_app), "")
    return f"{test_file}::{title.replace('.', '::')}" if test_file else title


def parse_failure_section(body: Sequence[str], roots: Sequence[str | Path] = ()) -> PytestFailure:
    """One failure section in any of pytest's traceback styles (auto, long, short, native)."""
    lines = [ln.rstrip() for ln in body]
    if lines and re.match(r"^\[gw\d+\] ", lines[0]):
        lines = lines[1:]
    captured: dict[str, list[str]] = {"stdout": [], "stderr": [], "log": []}
    report_lines: list[str] = []
    target = report_lines
    recorded: dict[str, Any] | None = None
    in_section = False
    for ln in lines:
        m = _CAPTURED.match(ln)
        if m:
            target = captured[m.group("what")]
            in_section = False
            continue
        if _AUTOHEAL_SECTION.match(ln):
            in_section = True
            continue
        if in_section:
            recorded = _recorded(ln) or recorded
            continue
        target.append(ln)
    text = "\n".join(report_lines).strip("\n")
    group_start = next(
        (k for k, ln in enumerate(report_lines) if ln.strip().endswith("Exception Group Traceback (most recent call last):")), None
    )
    if group_start is not None:
        error_type, message, frames = _exception_group(report_lines[group_start:], roots)
    elif any(ln.strip() == "Traceback (most recent call last):" for ln in report_lines) and not any(
        _SHORT_ENTRY.match(ln) or _LONG_END.match(ln) for ln in report_lines
    ):
        parsed = parse_python_traceback(text, roots)
        error_type, message, frames = (
            (parsed.type, parsed.message, _expand_repeats(parsed.frames, parsed.text)) if parsed else ("unknown", text[-500:], [])
        )
    else:
        error_type, message, frames = _parse_entries(report_lines, roots)
        frames = _restore_recursion(frames, report_lines)
    return PytestFailure(
        nodeid="",
        phase="call",
        type=error_type,
        message=message,
        frames=frames,
        text=text,
        stdout="\n".join(captured["stdout"]),
        stderr="\n".join(captured["stderr"]),
        log="\n".join(captured["log"]),
        autoheal=recorded,
    )


def _recorded(line: str) -> dict[str, Any] | None:
    try:
        data = json.loads(line.strip())
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("fingerprint"), str) and isinstance(data.get("values"), dict):
        return data
    return None


def _exception_group(lines: Sequence[str], roots: Sequence[str | Path]) -> tuple[str, str, list[Frame]]:
    """The group itself (its type, message and frames) from Python's ``+ Exception Group Traceback`` drawing."""
    top = ["Traceback (most recent call last):"]
    for ln in lines[1:]:
        if re.match(r"^\s*\+-", ln):
            break
        top.append(re.sub(r"^\s*[|+] ?", "", ln, count=1))
    parsed = parse_python_traceback("\n".join(top), roots)
    if parsed is None:
        return "unknown", "\n".join(lines)[-500:], []
    return parsed.type, parsed.message, parsed.frames


_REPEATED = re.compile(r"^\s*\[Previous line repeated (?P<n>\d+) more times?\]")


def _expand_repeats(frames: list[Frame], text: str) -> list[Frame]:
    """Python folds a recursion into "[Previous line repeated N more times]"; the live traceback has every frame."""
    out: list[Frame] = []
    seen = 0
    for ln in text.splitlines():
        if re.match(r'^\s*File "[^"]+", line \d+', ln) and seen < len(frames):
            out.append(frames[seen])
            seen += 1
        elif (m := _REPEATED.match(ln)) and out:
            out.extend([out[-1]] * int(m.group("n")))
    return out + frames[seen:]


_RECURSION_NOTE = re.compile(r"^\s*Displaying first and last \d+ stack frames out of (?P<total>\d+)\.")


def _restore_recursion(frames: list[Frame], lines: Sequence[str]) -> list[Frame]:
    """pytest shows a RecursionError's first and last frames only; the hidden middle repeats the recursion's cycle."""
    total = next((int(m.group("total")) for ln in lines if (m := _RECURSION_NOTE.match(ln))), None)
    if total is None or total <= len(frames) or len(frames) < 4:
        return frames
    tail = frames[-min(10, len(frames) // 2) :]
    period = next((p for p in range(1, 6) if all(tail[k].key() == tail[k % p].key() for k in range(len(tail)))), None)
    if period is None:
        return frames
    missing = total - len(frames)
    cycle_start = len(frames) - len(tail)
    inserted = [tail[(j - missing) % period] for j in range(missing)]
    return frames[:cycle_start] + inserted + frames[cycle_start:]


def _parse_entries(lines: Sequence[str], roots: Sequence[str | Path]) -> tuple[str, str, list[Frame]]:
    frames: list[Frame] = []
    block: list[str] = []
    e_lines: list[str] = []
    crash_type = ""
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.strip() in _CHAIN:
            # pytest prints the chain oldest first; the record describes the exception raised last.
            frames, block, e_lines, crash_type = [], [], [], ""
        elif _ENTRY_SEP.match(ln):
            block = []
        elif m := _SHORT_ENTRY.match(ln):
            source = ""
            if i + 1 < len(lines) and lines[i + 1].startswith("    "):
                source = lines[i + 1].strip()
                i += 1
                while i + 1 < len(lines) and _CARET.match(lines[i + 1]):
                    i += 1
            frames.append(_frame(m.group("path"), int(m.group("line")), m.group("func"), "" if source == "???" else source, roots))
            block = []
        elif m := _LONG_END.match(ln):
            function, source = _long_block(block)
            frame = _frame(m.group("path"), int(m.group("line")), function, source, roots)
            # A comprehension's own frame shows no "def": it is the line the enclosing frame already names.
            if not (function == "<module>" and frames and (frames[-1].file, frames[-1].line) == (frame.file, frame.line)):
                frames.append(frame)
            crash_type = m.group("type") or crash_type
            block = []
        elif em := _E_LINE.match(ln):
            e_lines.append(em.group("rest"))
            block.append(ln)
        else:
            block.append(ln)
        i += 1
    error_type, message = _exception_text(e_lines, crash_type)
    if error_type.rsplit(".", 1)[-1] in _SYNTAX_TYPES:
        frames.extend(_syntax_frame(e_lines, roots))
    return error_type, message, frames


def _long_block(block: Sequence[str]) -> tuple[str, str]:
    """Function name and failing line of a long-style entry: the ``>`` line and its enclosing ``def``."""
    source = [ln for ln in block if ln.startswith(("    ", ">")) or not ln.strip()]
    marker = next((k for k in range(len(source) - 1, -1, -1) if source[k].startswith(">")), None)
    if marker is None:
        return "<module>", ""
    # Source lines carry a 4-character gutter: four spaces, or ">" and three spaces on the failing line.
    failing = source[marker][4:]
    indent = len(failing) - len(failing.lstrip())
    for k in range(marker - 1, -1, -1):
        text = source[k][4:]
        if not text.strip():
            continue
        ind = len(text) - len(text.lstrip())
        if ind < indent:
            m = re.match(r"(?:async\s+)?def\s+(\w+)|class\s+(\w+)", text.strip())
            if m:
                return m.group(1) or m.group(2), failing.strip()
            indent = ind
    return "<module>", failing.strip()


def _exception_text(e_lines: Sequence[str], crash_type: str) -> tuple[str, str]:
    if not e_lines:
        return crash_type or "unknown", ""
    indent = len(e_lines[0]) - len(e_lines[0].lstrip())
    body = [ln[indent:] if ln[:indent].strip() == "" else ln.lstrip() for ln in e_lines]
    # A SyntaxError's E block starts with its ``File "...", line N`` context; the type is on the last line.
    first = next((k for k, ln in enumerate(body) if _TYPE_MSG.match(ln) and _looks_like_type(ln, crash_type)), None)
    if first is not None:
        m = _TYPE_MSG.match(body[first])
        assert m is not None
        rest = [m.group("msg") or "", *body[first + 1 :]]
        return m.group("type"), "\n".join(rest).strip("\n")
    if crash_type:
        return crash_type, "\n".join(body).strip("\n")
    if body[0].startswith("assert "):
        return "AssertionError", "\n".join(body).strip("\n")
    return "unknown", "\n".join(body).strip("\n")


def _looks_like_type(line: str, crash_type: str) -> bool:
    m = _TYPE_MSG.match(line)
    if not m:
        return False
    name = m.group("type")
    short = name.rsplit(".", 1)[-1]
    if crash_type:
        return short == crash_type.rsplit(".", 1)[-1]
    return bool(re.match(r"^[A-Z]\w*$", short)) and (
        m.group("msg") is not None or short.endswith(("Error", "Exception", "Interrupt", "Exit"))
    )


def _syntax_frame(e_lines: Sequence[str], roots: Sequence[str | Path]) -> list[Frame]:
    for k, ln in enumerate(e_lines):
        m = re.match(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', ln)
        if m and k + 1 < len(e_lines):
            return [_frame(m.group("file"), int(m.group("line")), "<module>", e_lines[k + 1].strip(), roots)]
    return []


def _frame(path: str, line: int, function: str, source: str, roots: Sequence[str | Path]) -> Frame:
    path = path.strip()
    # pytest prints paths relative to where it ran; "../" only says it ran below the root.
    while path.startswith("../"):
        path = path[3:]
    return Frame(
        module=module_from_path(path, roots), function=function, file=path, line=line, source=source, in_app=is_in_app(path, roots)
    )


def _line_style(loose: Sequence[LogLine], summary: list[tuple[str, str]]) -> list[PytestFailure]:
    """``--tb=line`` prints one ``path:line: message`` per failure and no frames: keep type and message."""
    crashes = []
    for ln in loose:
        m = re.match(r"^(?P<path>(?:[A-Za-z]:)?[^:\s][^:]*\.py):(?P<line>\d+): (?P<rest>.+)$", ln.text)
        if m and not ln.text.startswith("E "):
            crashes.append((ln, m))
    out = []
    for k, (_kind, nodeid) in enumerate(summary):
        if k >= len(crashes):
            break
        ln, m = crashes[k]
        tm = _TYPE_MSG.match(m.group("rest"))
        if tm and _looks_like_type(m.group("rest"), ""):
            error_type, message = tm.group("type"), tm.group("msg") or ""
        elif m.group("rest").startswith("assert "):
            error_type, message = "AssertionError", m.group("rest")
        else:
            error_type, message = "unknown", m.group("rest")
        out.append(
            PytestFailure(
                nodeid=nodeid,
                phase="call",
                type=error_type,
                message=message,
                frames=[],
                text=ln.text,
                step=ln.step,
                line=ln.number,
                complete=False,
            )
        )
    return out


def _other_failures(lines: list[LogLine], roots: Sequence[str | Path], report: LogReport) -> list[LogFailure]:
    found: list[LogFailure] = []
    by_step: dict[str, list[LogLine]] = {}
    for ln in lines:
        by_step.setdefault(ln.step, []).append(ln)
    steps_with_pytest = {f.step for f in report.pytest}
    for step, step_lines in by_step.items():
        step_found = (
            _python_tracebacks(step_lines, roots)
            + _bare_syntax_errors(step_lines, roots)
            + _node_errors(step_lines, roots)
            + _tap_failures(step_lines, roots)
            + _long_report(step_lines, roots)
            + _spec_failures(step_lines)
        )
        crash = _crash(step_lines, roots)
        if crash and not any(f.kind in ("python", "node") for f in step_found):
            step_found.append(crash)
        if not step_found and step not in steps_with_pytest:
            step_found = _console_errors(step_lines) or _npm_failure(step_lines) or _step_error(step_lines) or _output_error(step_lines)
        for f in _distinct(step_found):
            f.step = step
            found.append(f)
    return found


def _distinct(failures: list[LogFailure]) -> list[LogFailure]:
    """A failure printed twice in one step (node's spec reporter repeats failing tests at the end) is one failure."""
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    out = []
    for f in failures:
        key = (f.type, f.message, tuple(fr.key() for fr in f.frames))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _python_tracebacks(lines: list[LogLine], roots: Sequence[str | Path]) -> list[LogFailure]:
    out = []
    starts = [k for k, ln in enumerate(lines) if ln.text.rstrip().endswith("Traceback (most recent call last):")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = []
        for ln in lines[start:end]:
            if _ERROR.match(ln.text):
                break
            chunk.append(ln.text)
        # A chained traceback continues after "During handling ..."; keep only the last one of a chain.
        if n + 1 < len(starts) and any(c.strip() in _CHAIN for c in chunk):
            continue
        parsed = parse_python_traceback("\n".join(chunk[:400]), roots)
        if parsed is None:
            continue
        out.append(
            LogFailure(
                name="",
                type=parsed.type,
                message=parsed.message,
                frames=parsed.frames,
                text=parsed.text,
                kind="python",
                line=lines[start].number,
            )
        )
    return out


_BARE_SYNTAX = re.compile(r"^(?:Sorry: )?(?P<type>SyntaxError|IndentationError|TabError): (?P<msg>.*)$")


def _bare_syntax_errors(lines: list[LogLine], roots: Sequence[str | Path]) -> list[LogFailure]:
    """Python prints a script's own SyntaxError without a ``Traceback`` header: the file, the line, the caret, the error."""
    out = []
    in_traceback = False
    for k, ln in enumerate(lines):
        if ln.text.rstrip().endswith("Traceback (most recent call last):"):
            in_traceback = True
        m = _BARE_SYNTAX.match(ln.text.strip())
        if not m:
            continue
        if in_traceback:
            in_traceback = False
            continue
        if not any(_FILE_IN_PY.match(x.text) for x in lines[max(0, k - 5) : k]) and not ln.text.strip().startswith("Sorry: "):
            continue
        parsed = parse_python_traceback("\n".join(x.text for x in lines[max(0, k - 5) : k + 1]), roots)
        frames = parsed.frames if parsed else []
        out.append(
            LogFailure(name="", type=m.group("type"), message=m.group("msg"), frames=frames, text=ln.text, kind="python", line=ln.number)
        )
    return out


def _node_errors(lines: list[LogLine], roots: Sequence[str | Path]) -> list[LogFailure]:
    out = []
    k = 0
    while k < len(lines):
        text = lines[k].text.strip()
        warning = _NODE_WARNING.match(text)
        m = warning or _NODE_ERROR.match(text)
        if not m or _FILE_IN_PY.match(lines[k].text):
            k += 1
            continue
        j = k + 1
        # Node prints a "Require stack:" list (and error codes) between the message and the stack.
        while j < len(lines) and j < k + 30 and not _NODE_AT.match(lines[j].text) and re.match(r"^(?:Require stack:|- \S)", lines[j].text):
            j += 1
        has_stack = j < len(lines) and bool(_NODE_AT.match(lines[j].text))
        after_caret = any(_NODE_CARET.match(ln.text) for ln in lines[max(0, k - 3) : k])
        if not has_stack and not after_caret and not warning:
            k += 1
            continue
        start_stack = j
        while j < len(lines) and _NODE_AT.match(lines[j].text):
            j += 1
        # The JS SDK suite and the /api/report-error receiver read stacks with js_frames: same frames, same fingerprint.
        frames = js_frames("\n".join(ln.text for ln in lines[start_stack:j]), roots)
        block_end = j
        # The error's own properties ("{ code: 'ERR_X' }") and causes ("[cause]: ...") follow its stack.
        while block_end < min(len(lines), j + 40) and lines[block_end].text.startswith(" ") and lines[block_end].text.strip() != "}":
            block_end += 1
        start = max(0, k - 5)
        text_block = "\n".join(ln.text for ln in lines[start : min(len(lines), block_end + 1)])
        error_type = "UnhandledPromiseRejection" if warning else m.group("type").split(" ")[0]
        message = m.group("msg")
        out.append(LogFailure(name="", type=error_type, message=message, frames=frames, text=text_block, kind="node", line=lines[k].number))
        k = max(j, k + 1)
    return out


_FILE_IN_PY = re.compile(r'^\s*File "')
def _tap_failures(lines: list[LogLine], roots: Sequence[str | Path] = ()) -> list[LogFailure]:
    out = []
    for k, ln in enumerate(lines):
        m = _TAP_NOT_OK.match(ln.text)
        if not m:
            continue
        yaml = []
        for nxt in lines[k + 1 : k + 80]:
            if re.match(r"^\s*(?:not )?ok \d+ ", nxt.text) or re.match(r"^\s*\.\.\.\s*$", nxt.text):
                break
            yaml.append(nxt.text)
        block = "\n".join(yaml)
        err = re.search(r"^\s*error: ['\"]?(?P<msg>.*?)['\"]?\s*$", block, re.M)
        name = re.search(r"^\s*name: ['\"]?(?P<code>\w+)['\"]?\s*$", block, re.M)
        code = name or re.search(r"^\s*code: ['\"]?(?P<code>\w+)['\"]?\s*$", block, re.M)
        if re.search(r"^\s*failureType: ['\"]?subtestsFailed", block, re.M):
            continue
        message = err.group("msg") if err else m.group("name")
        if err and err.group("msg") in ("|-", "|", ">-"):
            # A multi-line message: the indented lines under "error: |-".
            indent_lines = block[err.end() :].splitlines()[1:]
            kept = itertools.takewhile(lambda x: x.startswith("    ") or not x.strip(), indent_lines)
            message = "\n".join(x.strip() for x in kept).strip()
        stack = re.search(r"^\s*stack: \|-\n(?P<stack>(?:\s{4,}.*\n?)*)", block, re.M)
        frames = js_frames(stack.group("stack"), roots) if stack else []
        out.append(
            LogFailure(
                name=m.group("name").strip(),
                type=code.group("code") if code else "TestFailure",
                message=message,
                frames=frames,
                text=f"{ln.text}\n{block}",
                kind="tap",
                line=ln.number,
            )
        )
    return out


_SPEC_FAIL = re.compile(r"^\s*✖ (?P<name>.+?) \([\d.]+m?s\)\s*$")
_CONSOLE_ERROR = re.compile(r"^\s*(?:\[console\.error\]|console\.error:?|console error:|\[error\] console:)\s*(?P<msg>.*)$", re.I)


def _spec_failures(lines: list[LogLine]) -> list[LogFailure]:
    """``node --test``'s spec reporter: a failed test whose reason is not an error with a stack (a timeout, a cancellation)."""
    out = []
    for k, ln in enumerate(lines):
        m = _SPEC_FAIL.match(ln.text)
        if not m or k + 1 >= len(lines) or _NODE_ERROR.match(lines[k + 1].text.strip()):
            continue
        reason = lines[k + 1].text.strip().strip("'\"")
        if not reason or reason.startswith(("ℹ", "✖", "✔")):
            continue
        text = f"{ln.text}\n{reason}"
        out.append(LogFailure(name=m.group("name"), type="TestFailure", message=reason, frames=[], text=text, kind="tap", line=ln.number))
    return out


def _console_errors(lines: list[LogLine]) -> list[LogFailure]:
    """What a page or a script logged with ``console.error``, as page checkers and test runners print it."""
    errors = [(ln, m.group("msg")) for ln in lines if (m := _CONSOLE_ERROR.match(ln.text))]
    if not errors:
        return []
    message = "\n".join(msg for _, msg in errors[:5])
    tail = "\n".join(ln.text for ln in lines[-40:])
    return [LogFailure(name="", type="ConsoleError", message=message, frames=[], text=tail, kind="console", line=errors[0][0].number)]


def _long_report(lines: list[LogLine], roots: Sequence[str | Path]) -> list[LogFailure]:
    """A pytest failure report without the session around it (a report's ``longreprtext``, a pasted failure)."""
    texts = [ln.text for ln in lines]
    if not any(_E_LINE.match(t) and t.strip() != "E" for t in texts) or not any(_LONG_END.match(t) or _SHORT_ENTRY.match(t) for t in texts):
        return []
    failure = parse_failure_section(texts, roots)
    test = next((f for f in failure.frames if f.in_app), None)
    name = f"{test.file}::{test.function}" if test else ""
    return [
        LogFailure(
            name=name,
            type=failure.type,
            message=failure.message,
            frames=failure.frames,
            text=failure.text,
            kind="pytest",
            line=lines[0].number,
        )
    ]


_SHELL_SIGNAL = re.compile(
    r"(?:^|: )(?:\d+ +)?(?P<what>Segmentation fault|Aborted|Killed|Bus error|Illegal instruction|Floating point exception|Terminated)"
    r"(?: \(core dumped\))?(?:\s{2,}\S.*)?$"
)
_SIGNAL_NAMES = {
    "Segmentation fault": "SIGSEGV",
    "Aborted": "SIGABRT",
    "Killed": "SIGKILL",
    "Bus error": "SIGBUS",
    "Illegal instruction": "SIGILL",
    "Floating point exception": "SIGFPE",
    "Terminated": "SIGTERM",
}
_FATAL_PY = re.compile(r"^Fatal Python error: (?P<reason>.+)$")
_FAULT_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>.+)$')
_JS_FATAL_STACK = re.compile(r"^-+ JavaScript stack trace -+$")
_JS_NUMBERED = re.compile(r"^\d+: (?P<frame>.+)$")
_NODE_FATAL = re.compile(r"^FATAL ERROR: (?P<msg>.+)$")
_EXIT_CODE = re.compile(r"Process completed with exit code (?P<code>\d+)")


def _crash(lines: list[LogLine], roots: Sequence[str | Path]) -> LogFailure | None:
    """A process that died: faulthandler's dump, node's fatal stack, the shell's signal line, an exit status of 128 + N."""
    signal = None
    message = ""
    frames: list[Frame] = []
    first = None
    for k, ln in enumerate(lines):
        text = ln.text.rstrip()
        if m := _FATAL_PY.match(text):
            first = first or ln
            message = message or text
            signal = signal or _signal_of(m.group("reason"))
            frames = frames or _faulthandler_frames(lines[k + 1 :], roots)
        elif _JS_FATAL_STACK.match(text):
            first = first or ln
            stack = [m.group("frame") for x in lines[k + 1 : k + 60] if (m := _JS_NUMBERED.match(x.text.strip()))]
            frames = frames or js_frames("\n".join(stack), roots)
        elif (m := _NODE_FATAL.match(text)) and "out of memory" in text:
            # The heap limit, not a crash: node reports it and aborts on purpose.
            return LogFailure(name="", type="FatalError", message=m.group("msg"), frames=[], text=text, kind="output", line=ln.number)
        elif (m := _SHELL_SIGNAL.search(text)) and not _ERROR.match(text):
            first = first or ln
            signal = signal or _SIGNAL_NAMES[m.group("what")]
            message = message or text
    code = _exit_code(lines)
    if signal is None and code is not None and 128 < code < 160:
        import signal as _signal_module

        with contextlib.suppress(ValueError):
            signal = _signal_module.Signals(code - 128).name
            message = message or f"exit code {code}: the process was ended by {signal}"
            first = first or lines[-1]
    if first is None or (signal is None and not frames):
        return None
    text = "\n".join(ln.text for ln in lines[-60:])
    return LogFailure(
        name="",
        type=signal or "ProcessCrash",
        message=message or "the process ended abruptly",
        frames=frames,
        text=text,
        kind="crash",
        line=first.number,
        signal=signal or "process exit",
        exit_code=code,
    )


def _signal_of(reason: str) -> str | None:
    for what, name in _SIGNAL_NAMES.items():
        if what.lower() in reason.lower():
            return name
    return "SIGABRT" if "abort" in reason.lower() else None


def _faulthandler_frames(lines: Sequence[LogLine], roots: Sequence[str | Path]) -> list[Frame]:
    """The first thread's stack of a faulthandler dump (``Current thread ...``), outermost first."""
    frames = []
    started = False
    for ln in lines[:200]:
        m = _FAULT_FRAME.match(ln.text)
        if m:
            started = True
            frames.append(_frame(m.group("file"), int(m.group("line")), m.group("func").strip(), "", roots))
        elif started:
            break
    return frames[::-1]


def _exit_code(lines: Sequence[LogLine]) -> int | None:
    for ln in reversed(lines[-20:]):
        m = _EXIT_CODE.search(ln.text)
        if m:
            return int(m.group("code"))
    return None


_OUTPUT_ERROR = re.compile(
    r"^(?:[\w./-]+: )?(?:line \d+: )?(?:.*: (?:command not found|Permission denied|No such file or directory)$|"
    r"(?:ERROR|Error|error|FATAL|fatal|Fatal)(?: \[\w+\])?[:!] .+|curl: \(\d+\) .+|make: \*\*\* .+|\*\*\* Error .+|Sorry: .+)"
)


def _output_error(lines: list[LogLine]) -> list[LogFailure]:
    """Output that ends in an error line of a command (curl, a shell, pip, git, make) and no traceback."""
    errors = [ln for ln in lines if _OUTPUT_ERROR.match(ln.text.strip())]
    if not errors:
        return []
    message = "\n".join(ln.text.strip() for ln in errors[-5:])
    tail = "\n".join(ln.text for ln in lines[-40:])
    return [LogFailure(name="", type="CommandFailure", message=message, frames=[], text=tail, kind="output", line=errors[0].number)]


def _npm_failure(lines: list[LogLine]) -> list[LogFailure]:
    npm = [ln for ln in lines if _NPM.match(ln.text)]
    if not npm:
        return []
    message = "\n".join(m.group("msg") for ln in npm if (m := _NPM.match(ln.text)) and m.group("msg").strip())
    return [
        LogFailure(
            name="",
            type="NpmError",
            message=message,
            frames=[],
            text=message,
            kind="npm",
            line=npm[0].number,
        )
    ]


def _step_error(lines: list[LogLine]) -> list[LogFailure]:
    errors = [(ln, m.group("msg")) for ln in lines if (m := _ERROR.match(ln.text))]
    if not errors:
        return []
    tail = "\n".join(ln.text for ln in lines[-40:])
    said = [ln.text.strip() for ln in lines if _OUTPUT_ERROR.match(ln.text.strip()) and not _ERROR.match(ln.text)]
    message = "\n".join([*said[-5:], *(msg for _, msg in errors)])
    code = _exit_code(lines)
    line = errors[0][0].number
    return [LogFailure(name="", type="StepFailure", message=message, frames=[], text=tail, kind="step", line=line, exit_code=code)]


def _cut_off_session(session: Sequence[LogLine], roots: Sequence[str | Path], after: Sequence[LogLine]) -> list[PytestFailure]:
    """A pytest run that ended without its summary: pytest-timeout's thread method, a crash, ``os._exit``."""
    texts = [ln.text for ln in session]
    running = ""
    for t in texts:
        m = re.match(r"^(?P<nodeid>\S+\.py(?:::\S+)?)(?: |$)", t)
        if (m and "::" in m.group("nodeid") and not re.search(r"\b(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", t)) or (m and not running):
            running = m.group("nodeid")
    step_lines = [*session, *after[:5]]
    code = _exit_code(step_lines)
    base = {"nodeid": running or "pytest", "phase": "call", "step": session[0].step, "line": session[0].number, "complete": True}
    timeout = next((k for k, t in enumerate(texts) if re.search(r"\+{5,} Timeout \+{5,}", t)), None)
    if timeout is not None:
        main = next((k for k in range(timeout, len(texts)) if re.search(r"~{5,} Stack of MainThread", texts[k])), None)
        stack = []
        for t in texts[(main or timeout) + 1 :]:
            if re.search(r"~{5,}|\+{5,}", t):
                break
            stack.append(t)
        parsed = parse_python_traceback("Traceback (most recent call last):\n" + "\n".join(stack) + "\nTimeout: pytest-timeout", roots)
        frames = parsed.frames if parsed else []
        message = "Timeout: the test ran past pytest-timeout's limit and the thread method ended the process"
        return [PytestFailure(type="Timeout", message=message, frames=frames, text="\n".join(texts[timeout:]), **base)]
    crash = _crash(list(step_lines), roots)
    if crash is None and code is None and not running:
        return []
    if crash is None:
        status = f" (exit code {code})" if code is not None else ""
        message = f"pytest ended while running {running or 'a test'} without reporting it{status}"
        return [PytestFailure(type="ProcessCrash", message=message, frames=[], text="\n".join(texts[-40:]), crashed=True, **base)]
    return [PytestFailure(type=crash.type, message=crash.message, frames=crash.frames, text=crash.text, crashed=True, **base)]


__all__ = [
    "LogFailure",
    "LogLine",
    "LogReport",
    "PytestFailure",
    "clean_lines",
    "parse_failure_section",
    "parse_log",
    "parse_pytest_session",
]
