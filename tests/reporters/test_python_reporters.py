"""ErrorReporter, CLIErrorReporter and install_cli_error_handler: real records, real threads, real processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pytest_autoheal import CLIErrorReporter, ErrorReporter
from pytest_autoheal.record import validation_errors

from ..support.reports import read_records

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _records(report_dir: Path) -> list[dict]:
    return read_records(report_dir)


def _fail(value: int) -> None:
    raise KeyError(f"dataset {value} not found")


def _raised(value: int = 7) -> BaseException:
    try:
        _fail(value)
    except KeyError as exc:
        return exc
    raise AssertionError("unreachable")


def test_disabled_unless_enabled_by_argument_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ERROR_REPORTING_ENABLED", raising=False)
    assert ErrorReporter(report_dir=tmp_path).report_exception(_raised()) is None
    assert not (tmp_path / "records").exists()
    monkeypatch.setenv("ERROR_REPORTING_ENABLED", "true")
    assert ErrorReporter(report_dir=tmp_path).enabled
    assert not ErrorReporter(enabled=False, report_dir=tmp_path).enabled


def test_report_error_writes_the_same_record_as_the_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    reporter = ErrorReporter(enabled=True, report_dir=tmp_path, github_token=TOKEN)
    path = reporter.report_error(error=_raised(), context={"component": "mcp_tools", "tool": "dataset_loader", "note": f"token {TOKEN}"})
    assert path is not None and path.parent == tmp_path / "records"
    (record,) = _records(tmp_path)
    assert record["source"] == "reporter"
    test = record["test"]
    assert (test["phase"], test["outcome"], test["component"], test["target"]) == ("runtime", "reported", "mcp_tools", "dataset_loader")
    assert record["error"]["type"] == "KeyError"
    assert [f["function"] for f in record["error"]["frames"]] == ["_raised", "_fail"]
    assert record["fingerprint"]["values"]["frames"]
    assert record["classification"]["class"] == "runtime_exception"
    assert TOKEN not in path.read_text("utf-8")
    assert record["error"]["extras"]["note"] == "token [REDACTED:github-token]"


def test_same_fingerprint_within_interval_counts_instead_of_filing_again(tmp_path: Path):
    reporter = ErrorReporter(enabled=True, report_dir=tmp_path, min_report_interval=3600)
    first = reporter.report_exception(_raised(1))
    # The message differs only by a number: the same bug.
    assert reporter.report_exception(_raised(2)) is None
    assert reporter.report_exception(ValueError("another bug")) is not None
    records = {r["error"]["type"]: r for r in _records(tmp_path)}
    assert set(records) == {"KeyError", "ValueError"}
    assert records["KeyError"]["occurrences"]["count"] == 2
    assert first is not None and first.exists()
    again = ErrorReporter(enabled=True, report_dir=tmp_path, min_report_interval=0)
    assert again.report_exception(_raised(3)) is not None
    assert len(_records(tmp_path)) == 3


def test_max_reports_per_session_caps_new_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ERROR_MAX_REPORTS_PER_SESSION", "2")
    reporter = ErrorReporter(enabled=True, report_dir=tmp_path)
    written = [reporter.report_error(error_type=f"Error{name}", message="x") for name in ("A", "B", "C", "D")]
    assert [p is not None for p in written] == [True, True, False, False]
    assert len(_records(tmp_path)) == 2


def test_threads_reporting_one_bug_make_one_record_with_every_occurrence(tmp_path: Path):
    reporter = ErrorReporter(enabled=True, report_dir=tmp_path)
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        barrier.wait()
        reporter.report_exception(_raised(i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (record,) = _records(tmp_path)
    assert record["occurrences"]["count"] == 16


def _report_from_process(report_dir: str) -> bool:
    return ErrorReporter(enabled=True, report_dir=report_dir).report_exception(_raised(99)) is not None


def test_processes_sharing_a_directory_file_one_record(tmp_path: Path):
    with ProcessPoolExecutor(max_workers=6) as pool:
        written = list(pool.map(_report_from_process, [str(tmp_path)] * 12))
    assert written.count(True) == 1
    (record,) = _records(tmp_path)
    assert record["occurrences"]["count"] == 12


def test_never_raises_into_the_caller(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the report directory should be")
    reporter = ErrorReporter(enabled=True, report_dir=blocker)
    assert reporter.report_exception(_raised()) is None

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("cannot print me")

    assert ErrorReporter(enabled=True, report_dir=tmp_path).report_exception(Unprintable()) is not None


def test_format_cli_error_carries_command_argv_and_log(tmp_path: Path):
    reporter = CLIErrorReporter(enabled=True, report_dir=tmp_path)
    record = reporter.format_cli_error(error=_raised(), command="ipfs-datasets", args=["test", "command"], logs="command output\n" * 3)
    assert validation_errors(record) == []
    assert record["test"]["component"] == "cli" and record["test"]["target"] == "ipfs-datasets"
    assert record["error"]["extras"]["argv"] == ["ipfs-datasets", "test", "command"]
    assert record["error"]["log_tail"].startswith("command output")
    assert not (tmp_path / "records").exists()


HOOKED = """
import sys
from pytest_autoheal import install_cli_error_handler

def previous(exc_type, exc, tb):
    print("previous hook saw", exc_type.__name__, file=sys.stderr)

sys.excepthook = previous
install_cli_error_handler(command="tool")
install_cli_error_handler(command="tool")
if sys.argv[1] == "interrupt":
    raise KeyboardInterrupt
raise ZeroDivisionError("broken " + sys.argv[1])
"""


# Python ends an uncaught KeyboardInterrupt by SIGINT (-2): the handler must not change that either.
@pytest.mark.parametrize(("arg", "recorded", "status"), [("value", True, 1), ("interrupt", False, -2)])
def test_cli_error_handler_records_chains_and_keeps_exit_status(tmp_path: Path, arg: str, recorded: bool, status: int):
    script = tmp_path / "tool.py"
    script.write_text(textwrap.dedent(HOOKED))
    env = {"PATH": "/usr/bin:/bin", "ERROR_REPORTING_ENABLED": "1", "AUTOHEAL_REPORT_DIR": str(tmp_path / "out")}
    done = subprocess.run([sys.executable, str(script), arg], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == status
    assert done.stderr.count("previous hook saw") == 1
    records = _records(tmp_path / "out") if (tmp_path / "out" / "records").exists() else []
    if not recorded:
        assert records == []
        return
    (record,) = records
    assert record["error"]["type"] == "ZeroDivisionError" and record["error"]["message"] == "broken value"
    assert record["error"]["extras"]["argv"] == ["tool", "value"]
    assert record["test"]["outcome"] == "reported"


def test_interval_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ERROR_MIN_REPORT_INTERVAL", "0")
    reporter = ErrorReporter(enabled=True, report_dir=tmp_path)
    assert reporter.min_report_interval == 0
    assert reporter.report_exception(_raised(1)) is not None
    assert reporter.report_exception(_raised(2)) is not None
    assert len(_records(tmp_path)) == 2


def test_report_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUTOHEAL_REPORT_DIR", str(tmp_path / "env-dir"))
    path = ErrorReporter(enabled=True).report_error(error="disk quota exceeded while saving", error_type="OSError")
    assert path is not None and path.parent == tmp_path / "env-dir" / "records"
    (record,) = _records(tmp_path / "env-dir")
    assert (record["error"]["type"], record["error"]["message"]) == ("OSError", "disk quota exceeded while saving")
