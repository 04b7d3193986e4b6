"""Reading raw CI logs: GitHub Actions framing, pytest reports, Python tracebacks, node and npm output.

Pure text in, plain values out: the frames come out exactly as :mod:`pytest_autoheal.frames`
builds them from a live exception (module from the path relative to the root, function,
source line), so a failure read from a log fingerprints like the same failure seen by the
plugin. :mod:`pytest_autoheal.analyze` turns what this module finds into failure records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .frames import Frame, is_in_app, module_from_path, parse_python_traceback
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

_NODE_ERROR = re.compile(r"^(?:Uncaught )?(?P<type>(?:[A-Z]\w*)?(?:Error|Exception)|AssertionError \[[\w_]+\])(?: \[\w+\])?: (?P<msg>.*)$")
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


def parse_log(text: str, roots: Sequence[str | Path] = ()) -> LogReport:
    """Every failure a CI log shows, in order."""
    lines = clean_lines(text)
    roots = [*roots, *workspace_roots(text)]
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
            report.pytest.extend(parse_pytest_session(session, session_roots))
            i = end
        else:
            i += 1
    rest = [ln for k, ln in enumerate(lines) if k not in used]
    report.other.extend(_other_failures(rest, list(roots) + report.rootdirs[:1], report))
    return report


def _session_end(lines: list[LogLine], start: int) -> int:
    for k in range(start, len(lines)):
        if _SESSION_START.match(lines[k].text):
            return k
        m = _BANNER.match(lines[k].text)
        if m and re.search(
            r"\b(passed|failed|error|errors|skipped|deselected|no tests ran|xfailed|xpassed|warnings?)\b.* in [\d.]+s", m.group("title")
        ):
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
            frames.append(_frame(m.group("path"), int(m.group("line")), function, source, roots))
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
        step_found = _python_tracebacks(step_lines, roots) + _node_errors(step_lines, roots) + _tap_failures(step_lines)
        if not step_found and step not in steps_with_pytest:
            step_found = _npm_failure(step_lines) or _step_error(step_lines)
        for f in step_found:
            f.step = step
        found.extend(step_found)
    return found


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


def _node_errors(lines: list[LogLine], roots: Sequence[str | Path]) -> list[LogFailure]:
    out = []
    k = 0
    while k < len(lines):
        m = _NODE_ERROR.match(lines[k].text.strip())
        if m and k + 1 < len(lines) and _NODE_AT.match(lines[k + 1].text):
            j = k + 1
            while j < len(lines) and _NODE_AT.match(lines[j].text):
                j += 1
            # The JS SDK suite and the /api/report-error receiver read stacks with js_frames: same frames, same fingerprint.
            frames = js_frames("\n".join(ln.text for ln in lines[k + 1 : j]), roots)
            start = max(0, k - 5)
            text = "\n".join(ln.text for ln in lines[start:j])
            out.append(
                LogFailure(
                    name="",
                    type=m.group("type").split(" ")[0],
                    message=m.group("msg"),
                    frames=frames,
                    text=text,
                    kind="node",
                    line=lines[k].number,
                )
            )
            k = j
            continue
        k += 1
    return out


def _tap_failures(lines: list[LogLine]) -> list[LogFailure]:
    out = []
    for k, ln in enumerate(lines):
        m = _TAP_NOT_OK.match(ln.text)
        if not m:
            continue
        yaml = []
        for nxt in lines[k + 1 : k + 60]:
            if re.match(r"^\s*(?:not )?ok \d+ ", nxt.text) or re.match(r"^\s*\.\.\.\s*$", nxt.text):
                break
            yaml.append(nxt.text)
        block = "\n".join(yaml)
        err = re.search(r"^\s*error: ['\"]?(?P<msg>.*?)['\"]?\s*$", block, re.M)
        code = re.search(r"^\s*(?:code|name): ['\"]?(?P<code>\w+)['\"]?\s*$", block, re.M)
        if re.search(r"^\s*failureType: ['\"]?subtestsFailed", block, re.M):
            continue
        out.append(
            LogFailure(
                name=m.group("name").strip(),
                type=code.group("code") if code else "TestFailure",
                message=err.group("msg") if err else m.group("name"),
                frames=[],
                text=f"{ln.text}\n{block}",
                kind="tap",
                line=ln.number,
            )
        )
    return out


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
    message = "\n".join(msg for _, msg in errors)
    return [LogFailure(name="", type="StepFailure", message=message, frames=[], text=tail, kind="step", line=errors[0][0].number)]


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
