"""`autoheal analyze`: a real pytest run's output, framed as a GitHub Actions log, gives the plugin's records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal import store
from pytest_autoheal.fingerprint import fingerprint
from pytest_autoheal.frames import parse_python_traceback
from pytest_autoheal.logparse import clean_lines
from pytest_autoheal.record import validation_errors
from pytest_autoheal.reporters.receiver import js_frames

CALC = """
import json


def ratio(a, b):
    return a / b


def parse(text):
    return json.loads(text)


def deep(n):
    if n == 0:
        raise KeyError("missing-key 1234")
    return deep(n - 1)


def read(path):
    with open(path) as fh:
        return fh.read()
"""

TESTS = """
import pytest
from pkg.calc import deep, parse, ratio, read


def test_zero():
    assert ratio(1, 0) == 1


def test_json():
    parse("not json")


def test_assert():
    x = 3
    assert x == 4, "x should be four"


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


def test_setup(broken):
    pass


def test_fail():
    pytest.fail("explicit failure 42")


@pytest.mark.parametrize("n", [1, 2])
def test_deep(n):
    deep(n)


class TestGroup:
    def test_list(self):
        assert [1, 2] == [1, 3]


def helper():
    try:
        {}["k"]
    except KeyError as e:
        raise ValueError("wrapped 5") from e


def test_chain():
    helper()


def test_multiline():
    x = dict(
        a=1,
        b=1 / 0,
    )


def test_missing_file(tmp_path):
    print("reading a file that is not there")
    read(tmp_path / "absent.txt")


def test_passes():
    assert ratio(4, 2) == 2


def spin(n):
    return spin(n + 1)


def test_recursion():
    spin(0)


@pytest.mark.xfail(strict=True)
def test_unexpected_pass():
    pass


def test_group():
    raise ExceptionGroup("many", [ValueError("a"), KeyError("b")])


def test_teardown(request):
    def close():
        raise OSError("teardown broke")

    request.addfinalizer(close)
"""

FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": CALC,
    "test_sample.py": TESTS,
    "test_broken_import.py": "import module_that_is_not_installed_xyz\n",
    "test_syntax.py": "def f(:\n    pass\n",
}


def make_project(pytester: pytest.Pytester) -> None:
    for name, text in FILES.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def actions_log(output: list[str], *, step: str = "Run pytest") -> str:
    """Frame output the way a downloaded GitHub Actions job log is: timestamps, groups, the step's error line."""
    stamp = "2026-11-25T10:00:0{}.1234567Z "
    lines = [
        stamp.format(0) + "##[group]Run actions/checkout@v4",
        stamp.format(0) + "with:",
        stamp.format(0) + "##[endgroup]",
        stamp.format(1) + f"##[group]{step}",
        stamp.format(1) + "pytest --autoheal-level=smoke",
        stamp.format(1) + "shell: /usr/bin/bash -e {0}",
        stamp.format(1) + "##[endgroup]",
    ]
    lines += [stamp.format(2) + line for line in output]
    lines.append(stamp.format(3) + "##[error]Process completed with exit code 1.")
    return "\n".join(lines) + "\n"


def analyze(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_autoheal", "analyze", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
    )


def read_records(report_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for path in sorted(store.records_dir(report_dir).glob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        assert validation_errors(record) == [], (path, validation_errors(record))
        out[(record["test"]["nodeid"], record["test"]["phase"])] = record
    return out


def run_and_analyze(pytester: pytest.Pytester, *pytest_args: str) -> tuple[dict, dict, str]:
    make_project(pytester)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--continue-on-collection-errors", "--autoheal-dir=plugin-reports", *pytest_args
    )
    assert result.ret == 1, result.stdout.str()
    log = pytester.path / "job.log"
    log.write_text(actions_log(result.outlines))
    done = analyze(pytester.path, str(log), "--out", "log-reports")
    assert done.returncode == 0, done.stderr
    return read_records(pytester.path / "plugin-reports"), read_records(pytester.path / "log-reports"), done.stdout


@dataclass
class Baseline:
    path: Path
    plugin: dict[tuple[str, str], dict[str, Any]]
    from_log: dict[tuple[str, str], dict[str, Any]]
    table: str


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """One real pytest run of the sample project (default options), its log and its analysis, shared by the tests that read them."""
    path = tmp_path_factory.mktemp("baseline")
    for name, text in FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--continue-on-collection-errors", "--autoheal-dir=plugin-reports"],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    (path / "job.log").write_text(actions_log(run.stdout.splitlines()))
    done = analyze(path, "job.log", "--out", "log-reports")
    assert done.returncode == 0, done.stderr
    return Baseline(path, read_records(path / "plugin-reports"), read_records(path / "log-reports"), done.stdout)


EXPECTED = {
    ("test_sample.py::test_zero", "call"): "runtime_exception",
    ("test_sample.py::test_json", "call"): "contract",
    ("test_sample.py::test_assert", "call"): "assertion",
    ("test_sample.py::test_setup", "setup"): "runtime_exception",
    ("test_sample.py::test_fail", "call"): "assertion",
    ("test_sample.py::test_deep[1]", "call"): "runtime_exception",
    ("test_sample.py::test_deep[2]", "call"): "runtime_exception",
    ("test_sample.py::TestGroup::test_list", "call"): "assertion",
    ("test_sample.py::test_chain", "call"): "runtime_exception",
    ("test_sample.py::test_multiline", "call"): "runtime_exception",
    ("test_sample.py::test_missing_file", "call"): "runtime_exception",
    ("test_sample.py::test_recursion", "call"): "resource",
    ("test_sample.py::test_group", "call"): "runtime_exception",
    ("test_sample.py::test_teardown", "teardown"): "runtime_exception",
    ("test_broken_import.py", "collect"): "dependency",
    ("test_syntax.py", "collect"): "syntax",
}


@pytest.mark.parametrize(
    "pytest_args",
    [(), ("-q", "--tb=long"), ("--tb=short",), ("--tb=native",), ("-n", "2", "-v", "--color=yes")],
    ids=["tb-auto", "quiet-tb-long", "tb-short", "tb-native", "xdist-verbose-colour"],
)
def test_log_gives_the_plugins_fingerprints_and_classes(pytester: pytest.Pytester, pytest_args: tuple[str, ...]) -> None:
    plugin, from_log, _ = run_and_analyze(pytester, *pytest_args)
    assert {k: r["classification"]["class"] for k, r in plugin.items()} == EXPECTED
    assert set(from_log) == set(plugin)
    for key, record in plugin.items():
        mine = from_log[key]
        assert mine["source"] == "log"
        assert mine["error"]["type"] == record["error"]["type"], key
        assert mine["fingerprint"] == record["fingerprint"], key
        assert mine["classification"]["class"] == record["classification"]["class"], key
        assert mine["test"]["outcome"] == record["test"]["outcome"], key
    # One bug reached through a recursion of another depth is one fingerprint; different bugs stay apart.
    deep = [from_log[(f"test_sample.py::test_deep[{n}]", "call")]["fingerprint"]["hash"] for n in (1, 2)]
    assert deep[0] == deep[1]
    hashes = {r["fingerprint"]["hash"] for r in from_log.values()}
    assert len(hashes) == len(from_log) - 1


def test_log_keeps_captured_output_and_the_step(baseline: Baseline) -> None:
    from_log, table = baseline.from_log, baseline.table
    record = from_log[("test_sample.py::test_missing_file", "call")]
    assert "reading a file that is not there" in record["error"]["stdout_tail"]
    assert record["error"]["extras"]["log"]["step"] == "Run pytest"
    assert record["error"]["message"].startswith("[Errno 2] No such file or directory")
    assert [f["function"] for f in record["error"]["frames"]] == ["test_missing_file", "read"]
    assert "16 failure record(s) written" in table


def test_line_style_log_keeps_classes_and_says_frames_are_missing(pytester: pytest.Pytester) -> None:
    plugin, from_log, _ = run_and_analyze(pytester, "--tb=line")
    assert set(from_log) == set(plugin)
    for key, record in plugin.items():
        assert from_log[key]["classification"]["class"] == record["classification"]["class"], key
        assert from_log[key]["error"]["type"] == record["error"]["type"], key
    zero = from_log[("test_sample.py::test_zero", "call")]
    assert zero["fingerprint"]["values"]["frames"] == []
    assert "--tb=line" in zero["error"]["extras"]["log"]["note"]


def test_analysing_twice_writes_the_same_records_and_heal_can_read_them(baseline: Baseline) -> None:
    first = baseline.from_log
    files = sorted(p.name for p in store.records_dir(baseline.path / "log-reports").glob("*.json"))
    again = analyze(baseline.path, "job.log", "--out", "log-reports", "--json")
    assert again.returncode == 0, again.stderr
    printed = json.loads(again.stdout)
    assert sorted(p.name for p in store.records_dir(baseline.path / "log-reports").glob("*.json")) == files
    assert {r["id"] for r in printed} == {r["id"] for r in first.values()}
    errors: list[str] = []
    loaded = store.load_records([baseline.path / "log-reports"], errors=errors)
    assert errors == [] and len(loaded) == len(first)


CRASHING_SCRIPT = """
import sys


def load(name):
    return {"a": 1}[name]


def main():
    print("starting")
    load(sys.argv[1])


main()
"""

NODE_SCRIPT = """
function render(user) {
  return user.profile.name;
}
function main() {
  render({});
}
main();
"""


def test_non_pytest_steps_become_records(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    script = tmp_path / "tools" / "sync.py"
    script.write_text(CRASHING_SCRIPT)
    py = subprocess.run([sys.executable, str(script), "zzz"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert py.returncode == 1
    js = tmp_path / "web" / "render.js"
    js.parent.mkdir()
    js.write_text(NODE_SCRIPT)
    node = subprocess.run(["node", str(js)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert node.returncode == 1 and "TypeError" in node.stderr
    pkg = tmp_path / "sdk"
    pkg.mkdir()
    (pkg / "package.json").write_text('{"name": "sdk", "version": "1.0.0", "scripts": {}}')
    npm = subprocess.run(["npm", "run", "build"], capture_output=True, text=True, cwd=pkg, timeout=120)
    assert npm.returncode != 0
    sh = subprocess.run(["bash", "-c", "pyflakes-not-installed-xyz src"], capture_output=True, text=True, timeout=60)
    assert sh.returncode == 127

    def step(title: str, output: str, code: int) -> list[str]:
        return [f"##[group]Run {title}", title, "##[endgroup]", *output.splitlines(), f"##[error]Process completed with exit code {code}."]

    lines = (
        step("python tools/sync.py zzz", py.stdout + py.stderr, 1)
        + step("node web/render.js", node.stderr, 1)
        + step("npm run build", npm.stdout + npm.stderr, 1)
        + step("pyflakes-not-installed-xyz src", sh.stderr, 127)
    )
    log = tmp_path / "job.log"
    log.write_text("".join(f"2026-11-25T10:00:00.0000000Z {ln}\n" for ln in lines))
    done = analyze(tmp_path, str(log), "--out", "out", "--root", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    records = {r["test"]["nodeid"]: r for r in json.loads(done.stdout)}
    assert set(records) == {
        "Run python tools/sync.py zzz",
        "Run node web/render.js",
        "Run npm run build",
        "Run pyflakes-not-installed-xyz src",
    }

    crash = records["Run python tools/sync.py zzz"]
    parsed = parse_python_traceback(py.stderr, [str(tmp_path)])
    assert parsed is not None
    # The same fingerprint the CLI suite gives when it parses this crash from the process's stderr.
    assert _without_legacy(crash["fingerprint"]) == fingerprint(parsed.type, parsed.message, parsed.frames).to_dict()
    assert crash["error"]["type"] == "KeyError"
    assert [f["module"] + "." + f["function"] for f in crash["error"]["frames"]] == [
        "tools.sync.<module>",
        "tools.sync.main",
        "tools.sync.load",
    ]

    js_record = records["Run node web/render.js"]
    assert js_record["error"]["type"] == "TypeError"
    assert [f["function"] for f in js_record["error"]["frames"]] == ["Object.<anonymous>", "main", "render"]
    assert js_record["error"]["frames"][-1]["module"] == "web.render"
    # What the JS SDK suite records for the same stack (it reads stacks with js_frames).
    stack = node.stderr[node.stderr.index("    at ") :]
    frames = js_frames(stack, [str(tmp_path)])
    assert _without_legacy(js_record["fingerprint"]) == fingerprint("TypeError", js_record["error"]["message"], frames).to_dict()
    # A node TypeError is a JavaScript error, not a Python runtime exception.
    assert js_record["classification"]["class"] == "js_error"

    assert records["Run npm run build"]["error"]["type"] == "NpmError"
    assert "build" in records["Run npm run build"]["error"]["message"]
    missing = records["Run pyflakes-not-installed-xyz src"]
    assert missing["classification"]["class"] == "dependency"
    assert "pyflakes-not-installed-xyz" in missing["classification"]["root_cause"]
    assert len(list((tmp_path / "out" / "records").glob("*.json"))) == 4


def test_clean_lines_strips_timestamps_and_colours_and_names_steps() -> None:
    text = (
        "\ufeff2026-11-25T10:00:00.1234567Z ##[group]Run pytest -q\n"
        "2026-11-25T10:00:00.1234567Z pytest -q\n"
        "2026-11-25T10:00:00.1234567Z ##[endgroup]\n"
        "2026-11-25T10:00:01.1234567Z \x1b[31mFAILED\x1b[0m test_a.py::test_x - boom\n"
        "2026-11-25T10:00:01.1234567Z ##[group]details\n"
        "2026-11-25T10:00:01.1234567Z inner\n"
    )
    lines = clean_lines(text)
    assert [ln.text for ln in lines] == ["pytest -q", "FAILED test_a.py::test_x - boom", "inner"]
    assert {ln.step for ln in lines} == {"Run pytest -q"}


def test_missing_log_file_is_one_clear_error(tmp_path: Path) -> None:
    done = analyze(tmp_path, "no-such.log")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "autoheal analyze: no-such.log is not a log file or a folder of them; pass a downloaded CI log."
    )


def test_log_without_failures_writes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "ok.log"
    log.write_text("2026-11-25T10:00:00.0000000Z ##[group]Run pytest\n2026-11-25T10:00:00.0000000Z ===== 3 passed in 0.1s =====\n")
    done = analyze(tmp_path, str(log), "--out", "out")
    assert done.returncode == 0
    assert "no failure found" in done.stdout
    assert not list((tmp_path / "out").glob("records/*.json"))


def test_gh_cli_failed_log_on_stdin_gives_the_same_records(baseline: Baseline) -> None:
    plugin = baseline.plugin
    output = (baseline.path / "job.log").read_text().splitlines()
    # `gh run view --log-failed` prints "<job>\t<step>\t<timestamped line>".
    gh_form = "".join(f"monitor (pdf_tools)\tMonitor mcp_tools\t{line}\n" for line in output)
    done = subprocess.run(
        [sys.executable, "-m", "pytest_autoheal", "analyze", "-", "--out", "gh-reports", "--run-id", "4242", "--repo", "acme/shop"],
        cwd=baseline.path,
        input=gh_form,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    from_gh = read_records(baseline.path / "gh-reports")
    assert {k: r["fingerprint"]["hash"] for k, r in from_gh.items()} == {k: r["fingerprint"]["hash"] for k, r in plugin.items()}
    some = from_gh[("test_sample.py::test_zero", "call")]
    assert some["run"]["id"] == "4242" and some["run"]["repository"] == "acme/shop"
    assert some["error"]["extras"]["log"]["step"] == "monitor (pdf_tools) / Monitor mcp_tools"


HEAL_ARGS = ["--local-repo", "shop", "--repo", "acme/shop", "--dry-run", "--max-new", "50"]


def test_heal_plans_one_issue_per_fingerprint_from_the_log_records(baseline: Baseline) -> None:
    from_log = baseline.from_log
    subprocess.run(["git", "init", "-q", "-b", "main", str(baseline.path / "shop")], check=True, timeout=60)
    subprocess.run(
        [
            "git",
            "-C",
            str(baseline.path / "shop"),
            "-c",
            "user.email=a@b.invalid",
            "-c",
            "user.name=a",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
        check=True,
        timeout=60,
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest_autoheal", "heal", "--reports", "log-reports", "--backend", "local", *HEAL_ARGS],
        cwd=baseline.path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    creates = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("create ")]
    assert sorted(creates) == sorted({r["fingerprint"]["hash"][:12] for r in from_log.values()})


def test_unpacked_run_archive_gives_each_failure_once(baseline: Baseline) -> None:
    from_log = baseline.from_log
    job_log = (baseline.path / "job.log").read_text()
    # GitHub's log archive: one file per job at the top, and the same lines again per step below.
    archive = baseline.path / "logs_4242"
    (archive / "monitor").mkdir(parents=True)
    (archive / "0_monitor.txt").write_text(job_log)
    (archive / "monitor" / "3_Run pytest.txt").write_text(job_log)
    done = analyze(baseline.path, str(archive), "--out", "archive-reports", "--run-id", "4242")
    assert done.returncode == 0, done.stderr
    records = read_records(baseline.path / "archive-reports")
    assert set(records) == set(from_log)
    assert all(r["occurrences"]["count"] == 1 and r["run"]["id"] == "4242" for r in records.values())
    (archive / "0_monitor.txt").unlink()
    again = analyze(baseline.path, str(archive), "--out", "step-reports", "--run-id", "4242")
    assert again.returncode == 0, again.stderr
    assert set(read_records(baseline.path / "step-reports")) == set(from_log)


SUITE_FAILURE = """
from pytest_autoheal.errors import TargetFailure
from pytest_autoheal.frames import Frame


def test_cli_crash():
    raise TargetFailure(
        "`shop stats` crashed with ZeroDivisionError (exit code 1): division by zero",
        error_type="ZeroDivisionError",
        message="division by zero",
        frames=[Frame("shop.stats", "mean", "/srv/shop/stats.py", 12, "return total / len(values)")],
    )
"""


def test_suite_failure_in_a_log_keeps_the_plugins_fingerprint_and_class(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE_FAILURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir=plugin-reports")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*- autoheal -*", '{"record": *"fingerprint": *'])
    (pytester.path / "job.log").write_text(actions_log(result.outlines))
    done = analyze(pytester.path, "job.log", "--out", "log-reports")
    assert done.returncode == 0, done.stderr
    record = read_records(pytester.path / "log-reports")[("test_suite.py::test_cli_crash", "call")]
    plugin = read_records(pytester.path / "plugin-reports")[("test_suite.py::test_cli_crash", "call")]
    assert record["fingerprint"] == plugin["fingerprint"]
    assert plugin["fingerprint"]["values"]["frames"] == ["shop.stats:mean:return total / len(values)"]
    assert record["error"]["type"] == plugin["error"]["type"] == "ZeroDivisionError"
    assert record["classification"]["class"] == plugin["classification"]["class"] == "runtime_exception"
    assert "as the plugin recorded them in the log" in record["classification"]["evidence"][0]


def test_suite_failure_without_the_plugins_section_says_the_log_lacks_the_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE_FAILURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir=plugin-reports")
    assert result.ret == 1
    lines, skip = [], False
    for line in result.outlines:
        # A log from a run whose output lost the plugin's section (older plugin, trimmed log).
        if line.strip("- ") == "autoheal":
            skip = True
            continue
        if skip:
            skip = False
            continue
        lines.append(line)
    (pytester.path / "job.log").write_text(actions_log(lines))
    done = analyze(pytester.path, "job.log", "--out", "log-reports")
    assert done.returncode == 0, done.stderr
    record = read_records(pytester.path / "log-reports")[("test_suite.py::test_cli_crash", "call")]
    plugin = read_records(pytester.path / "plugin-reports")[("test_suite.py::test_cli_crash", "call")]
    assert record["error"]["type"] == plugin["error"]["type"] == "ZeroDivisionError"
    assert record["classification"]["class"] == plugin["classification"]["class"] == "runtime_exception"
    assert record["error"]["frames"] == [] and record["error"]["message"] == "division by zero"
    assert record["fingerprint"]["hash"] != plugin["fingerprint"]["hash"]
    assert "the fingerprint differs from the record the run uploaded" in record["error"]["extras"]["log"]["note"]


def test_runner_checkout_path_is_the_root_for_module_names(tmp_path: Path) -> None:
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/home/runner/work/shop/shop/tools/sync.py", line 9, in <module>\n'
        "    main()\n"
        '  File "/home/runner/work/shop/shop/tools/sync.py", line 6, in main\n'
        "    return 1 / 0\n"
        "ZeroDivisionError: division by zero\n"
    )
    log = tmp_path / "job.log"
    log.write_text("##[group]Run python tools/sync.py\n##[endgroup]\n" + traceback + "##[error]Process completed with exit code 1.\n")
    done = analyze(tmp_path, str(log), "--out", "out", "--json")
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    assert [f["module"] for f in record["error"]["frames"]] == ["tools.sync", "tools.sync"]
    parsed = parse_python_traceback(traceback, ["/home/runner/work/shop/shop"])
    assert parsed is not None
    assert _without_legacy(record["fingerprint"]) == fingerprint(parsed.type, parsed.message, parsed.frames).to_dict()


def test_secrets_in_a_log_never_reach_records_or_output(tmp_path: Path) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    log = tmp_path / "job.log"
    log.write_text(
        "##[group]Run deploy\n##[endgroup]\nTraceback (most recent call last):\n"
        '  File "/w/deploy.py", line 2, in <module>\n    push()\n'
        f"RuntimeError: push to https://x:{token}@example.invalid/repo failed with token {token}\n"
    )
    done = analyze(tmp_path, str(log), "--out", "out", "--json")
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout
    assert json.loads(done.stdout)[0]["error"]["type"] == "RuntimeError"
    written = "".join(p.read_text() for p in (tmp_path / "out" / "records").glob("*.json"))
    assert written and token not in written
    table = analyze(tmp_path, str(log), "--out", "out2")
    assert token not in table.stdout


def test_crashed_xdist_worker_gives_the_plugins_crash_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_crash="""
        import os

        def test_dies():
            os.abort()

        def test_lives():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--autoheal-dir=plugin-reports")
    assert result.ret == 1
    (pytester.path / "job.log").write_text(actions_log(result.outlines))
    done = analyze(pytester.path, "job.log", "--out", "log-reports")
    assert done.returncode == 0, done.stderr
    plugin = read_records(pytester.path / "plugin-reports")
    from_log = read_records(pytester.path / "log-reports")
    key = ("test_crash.py::test_dies", "call")
    assert set(plugin) == set(from_log) == {key}
    assert from_log[key]["classification"]["class"] == plugin[key]["classification"]["class"] == "crash"
    assert from_log[key]["fingerprint"] == plugin[key]["fingerprint"]
    assert from_log[key]["test"]["outcome"] == plugin[key]["test"]["outcome"] == "crashed"


def test_configured_classification_patterns_apply_to_log_records(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.autoheal.classify]\npatterns = [{ class = "network", regex = "upstream (?:gone|closed)", confidence = 0.9 }]\n'
    )
    log = tmp_path / "job.log"
    log.write_text(
        "##[group]Run sync\n##[endgroup]\nTraceback (most recent call last):\n"
        '  File "/w/sync.py", line 2, in <module>\n    pull()\nshop.errors.UpstreamGone: upstream gone after 3 tries\n'
    )
    done = analyze(tmp_path, str(log), "--out", "out", "--json")
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    assert record["classification"]["class"] == "network"
    assert "upstream gone" in record["classification"]["evidence"][0]
    (tmp_path / "pyproject.toml").write_text("[tool.autoheal]\nno_such_key = 1\n")
    bad = analyze(tmp_path, str(log), "--out", "out")
    assert bad.returncode == 2 and "tool.autoheal.no_such_key: unknown key" in bad.stderr


def _without_legacy(fp: dict) -> dict:
    """A record's fingerprint as fingerprint() gives it (the record also keeps the v1 hash beside it)."""
    return {k: v for k, v in fp.items() if k != "legacy"}
