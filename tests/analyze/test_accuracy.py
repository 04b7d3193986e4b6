"""Classification and grouping on real output of failing programs (the corpus in tests/corpus, and programs run here)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.analyze import analyse_text, log_run
from pytest_autoheal.classify import CLASSES
from pytest_autoheal.record import decode_output
from tests.corpus.harness import actions_log

DATA = Path(__file__).resolve().parents[1] / "corpus" / "data"
LABELS = json.loads((DATA / "labels.json").read_text())


def analysed(text: str, cwd: Path, roots: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return analyse_text(text, run=log_run(text), roots=roots)
    finally:
        os.chdir(here)


def corpus_text(case_id: str) -> tuple[str, dict[str, Any]]:
    (item,) = [c for c in LABELS["classes"] if c["id"] == case_id]
    return decode_output((DATA / item["file"]).read_bytes()), item


# One captured text for each input kind the log reader must understand.
KINDS = {
    "cr-killed": "a process killed by SIGKILL (the shell's 'Killed')",
    "cr-segv-shell": "a segfault reported by the shell",
    "cr-faulthandler": "a faulthandler dump",
    "cr-node-abort": "a node abort with its JavaScript stack",
    "cr-node-segv": "a node segfault",
    "cr-pytest-segv": "a segfault inside pytest",
    "cr-pytest-exit": "os._exit inside pytest",
    "cr-xdist": "a crashed xdist worker",
    "dep-node-require": "a node error with a Require stack",
    "js-ref1": "a node error with a <ref *1> prefix",
    "ur-string": "an unhandled rejection of a string",
    "ur-object": "an unhandled rejection of an object",
    "ur-error": "an unhandled rejection reported as a warning",
    "syn-py-bare": "a bare SyntaxError without a Traceback header",
    "to-pytest-thread": "pytest-timeout's thread-method dump",
    "to-pytest-signal": "pytest-timeout's signal method",
    "as-longrepr": "a pytest long report without a session banner",
    "rt-actions": "an Actions job log with groups and timestamps",
    "rt-actions-gh": "gh run view --log-failed output",
    "net-node-fetch": "TypeError: fetch failed wrapping ECONNREFUSED",
    "cfg-env": "KeyError of a missing environment variable",
    "cfg-configparser": "configparser.NoSectionError",
    "cfg-json": "a malformed JSON config file",
    "cfg-toml": "a malformed TOML config file",
    "cfg-pydantic": "a settings model's validation error",
    "js-type": "a node TypeError",
    "as-node-spec": "a node --test failure (spec reporter)",
    "as-node-test": "a node --test failure (TAP)",
    "to-node-test": "a node --test timeout",
    "ce-jsdom": "a console error a page logged",
    "net-curl": "curl's own error line",
    "unk-exit": "a CI step failing with nothing but an exit code",
}


@pytest.mark.parametrize("case_id", list(KINDS), ids=list(KINDS))
def test_each_input_kind_gives_a_record_of_its_class(case_id: str, tmp_path: Path) -> None:
    text, item = corpus_text(case_id)
    records = analysed(text, tmp_path)
    assert records, f"no record for {KINDS[case_id]}"
    first = records[0]
    assert first["classification"]["class"] == item["class"], (KINDS[case_id], first["classification"])
    assert first["classification"]["evidence"]


def test_a_step_that_fails_with_only_an_exit_code_is_an_honest_unknown(tmp_path: Path) -> None:
    text, _ = corpus_text("unk-exit")
    (record,) = analysed(text, tmp_path)
    assert record["classification"]["class"] == "unknown"
    assert record["classification"]["confidence"] < 0.5
    assert "exit code 3" in record["classification"]["evidence"][0]


def test_an_unrelated_timeout_line_is_not_a_timeout(tmp_path: Path) -> None:
    script = tmp_path / "deploy.py"
    script.write_text("print('Timeout: 0')\nprint('Retries: 3')\nraise SystemExit('deploy target refused the bundle')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    log = actions_log(done.stdout + done.stderr, command="python deploy.py", returncode=done.returncode, form="job")
    (record,) = analysed(decode_output(log), tmp_path)
    assert record["classification"]["class"] == "unknown"


SERVICE = {
    "shop/__init__.py": "",
    "shop/stats.py": "def mean(values):\n    return sum(values) / len(values)\n\n\ndef percent(done, total):\n    share = done / total\n    return round(100 * share, 1)\n",
    "tools/report.py": (
        "import sys\nfrom pathlib import Path\n\nsys.path.insert(0, str(Path(__file__).resolve().parents[1]))\n"
        "from shop import stats\n\n\ndef main():\n    print(stats.{call})\n\n\nmain()\n"
    ),
}
PREFIXES = ["home/runner/work/shop/shop", "home/runner/_work/shop/shop", "__w/shop/shop", "opt/build/job-17/src"]


def crash_text(base: Path, prefix: str, call: str) -> tuple[str, Path]:
    root = base / prefix
    for rel, text in SERVICE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.replace("{call}", call))
    done = subprocess.run([sys.executable, "tools/report.py"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "ZeroDivisionError" in done.stderr
    return done.stderr, root


@pytest.mark.parametrize("with_root", [False, True], ids=["no-root", "root"])
def test_same_traceback_under_the_runner_layouts_and_any_prefix_has_one_fingerprint(tmp_path: Path, with_root: bool) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    by_bug: dict[str, set[str]] = {}
    for call, bug in (("mean([])", "mean"), ("percent(1, 0)", "percent")):
        for n, prefix in enumerate(PREFIXES):
            stderr, root = crash_text(tmp_path / f"{bug}-{n}", prefix, call)
            (record,) = analysed(stderr, empty, (str(root),) if with_root else ())
            assert record["error"]["type"] == "ZeroDivisionError"
            assert record["error"]["frames"][-1]["module"] == "shop.stats", record["error"]["frames"]
            by_bug.setdefault(bug, set()).add(record["fingerprint"]["hash"])
    # One fingerprint per bug on every layout; the two look-alikes (same type and message) stay apart.
    assert [len(v) for v in by_bug.values()] == [1, 1]
    assert by_bug["mean"] != by_bug["percent"]


def test_corpus_is_real_output_of_every_class_and_kind() -> None:
    classes = LABELS["classes"]
    assert len(classes) >= 150
    assert {c["class"] for c in classes} == set(CLASSES)
    assert set(Counter(c["kind"] for c in classes)) == {"traceback", "cli", "node", "pytest", "actions"}
    fps = LABELS["fingerprints"]
    assert len(fps) >= 80 and len({f["bug"] for f in fps}) >= 35
    assert {f["layout"] for f in fps} >= {"hosted", "self-hosted", "container", "other"}
    assert {c["split"] for c in classes} == {"main", "heldout"}


def test_corpus_accuracy_and_grouping_hold(tmp_path: Path) -> None:
    right = [
        (analysed(decode_output((DATA / c["file"]).read_bytes()), tmp_path) or [{"classification": {"class": None}}])[0]["classification"]["class"]
        == c["class"]
        for c in LABELS["classes"]
    ]
    assert sum(right) / len(right) >= 0.90
    groups = {}
    for f in LABELS["fingerprints"]:
        records = analysed(decode_output((DATA / f["file"]).read_bytes()), tmp_path)
        groups[f["id"]] = (f["bug"], records[0]["fingerprint"]["hash"] if records else None)
    pairs = [(a, b) for a, b in itertools.combinations(groups.values(), 2) if a[1] and b[1]]
    joined_wrong = sum(1 for a, b in pairs if a[1] == b[1] and a[0] != b[0])
    joined_right = sum(1 for a, b in pairs if a[1] == b[1] and a[0] == b[0])
    split = sum(1 for a, b in pairs if a[1] != b[1] and a[0] == b[0])
    assert joined_right / (joined_right + joined_wrong) >= 0.98
    assert joined_right / (joined_right + split) >= 0.95


def test_es_module_stacks_under_an_unknown_prefix_group_with_the_runner_layouts(tmp_path: Path) -> None:
    # node prints ES module frames as file:// URLs; the node ids it prints (web/ledger.test.mjs) say where the checkout ends.
    by_layout = {}
    for f in LABELS["fingerprints"]:
        if f["bug"] == "ledger/js-sum":
            (record,) = analysed(decode_output((DATA / f["file"]).read_bytes()), tmp_path)[:1]
            by_layout[f["layout"]] = record["fingerprint"]
    assert "file:///" in (DATA / "fingerprints/ledger-js-sum-2.txt").read_text()
    assert set(by_layout) == {"hosted", "container", "other", "self-hosted"}
    assert len({fp["hash"] for fp in by_layout.values()}) == 1, by_layout
    assert by_layout["other"]["values"]["frames"][-1].startswith("web.ledger:")
