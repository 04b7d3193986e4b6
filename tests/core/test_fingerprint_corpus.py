"""The fingerprint corpus: small code variants, really run, grouped as a person would group them."""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_autoheal.runner import run

from .helpers import records

SERVICE = """
def ratio(total, parts):
    cleaned = [p for p in parts if p is not None]
    return total / len(cleaned)


def pick(items, index):
    if index < 0:
        raise ValueError("negative index")
    if index >= len(items):
        raise ValueError("index past the end")
    return items[index]
"""

TEST = """
from app.service import ratio, pick


def test_ratio():
    assert ratio(10, [None, None]) == 5
"""


def run_variant(base: Path, name: str, files: dict[str, str]) -> dict:
    root = base / name
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "app" / "__init__.py").touch()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "pyproject.toml").write_text("[tool.autoheal]\n")  # a project that asks for the plugin
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], cwd=root, timeout=120)
    assert result.returncode == 1, result.text() + result.text("stderr")
    (rec,) = records(root / "autoheal-reports")
    return rec


def fp(rec: dict) -> str:
    return rec["fingerprint"]["hash"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_variant(tmp_path_factory.mktemp("corpus"), "base", {"app/service.py": SERVICE, "tests/test_app.py": TEST})


def test_same_bug_moved_down_by_lines_keeps_its_fingerprint(baseline: dict, tmp_path: Path) -> None:
    shifted = "# a header comment\n\n\nimport os  # noqa\n\n" + SERVICE
    rec = run_variant(tmp_path, "shifted", {"app/service.py": shifted, "tests/test_app.py": "\n\n" + TEST})
    assert rec["error"]["frames"][-1]["line"] != baseline["error"]["frames"][-1]["line"]
    assert fp(rec) == fp(baseline)


def test_same_bug_in_another_checkout_path_keeps_its_fingerprint(baseline: dict, tmp_path: Path) -> None:
    rec = run_variant(tmp_path / "elsewhere" / "deeper", "checkout-2", {"app/service.py": SERVICE, "tests/test_app.py": TEST})
    assert rec["error"]["frames"][-1]["file"] != baseline["error"]["frames"][-1]["file"]
    assert fp(rec) == fp(baseline)
    assert rec["fingerprint"]["values"] == baseline["fingerprint"]["values"]


def test_fingerprint_keeps_the_values_it_was_built_from(baseline: dict) -> None:
    values = baseline["fingerprint"]["values"]
    assert baseline["fingerprint"]["algorithm"] == "autoheal-v2"
    # The v1 hash of the same failure is kept beside it, so heal still finds issues filed under v1:
    # v1 hashed every in-app frame, the test function's included.
    (legacy,) = baseline["fingerprint"]["legacy"]
    assert legacy["algorithm"] == "autoheal-v1"
    v1_values = {**values, "frames": ["tests.test_app:test_ratio:assert ratio(10, [None, None]) == 5", *values["frames"]]}
    assert legacy["hash"] == hashlib.sha256(json.dumps(["autoheal-v1", v1_values], sort_keys=True).encode()).hexdigest()[:16]
    assert values["type"] == "ZeroDivisionError"
    # The test function only reached the bug: the frame that locates it is the service's.
    assert values["frames"] == ["app.service:ratio:return total / len(cleaned)"]
    assert [f["function"] for f in baseline["error"]["frames"]] == ["test_ratio", "ratio"]
    assert "message_template" not in values


def test_a_different_bug_in_the_same_function_differs(tmp_path: Path) -> None:
    first = run_variant(
        tmp_path,
        "neg",
        {"app/service.py": SERVICE, "tests/test_app.py": TEST.replace("assert ratio(10, [None, None]) == 5", "pick([1], -1)")},
    )
    second = run_variant(
        tmp_path,
        "past",
        {"app/service.py": SERVICE, "tests/test_app.py": TEST.replace("assert ratio(10, [None, None]) == 5", "pick([1], 5)")},
    )
    assert first["error"]["type"] == second["error"]["type"] == "ValueError"
    assert fp(first) != fp(second)


def test_another_exception_type_differs(baseline: dict, tmp_path: Path) -> None:
    other = SERVICE.replace("return total / len(cleaned)", "return total / len(cleaned) + cleaned[0]")
    rec = run_variant(tmp_path, "other-type", {"app/service.py": other, "tests/test_app.py": TEST.replace("[None, None]", "[None, 'x']")})
    assert rec["error"]["type"] == "TypeError"
    assert fp(rec) != fp(baseline)


TARGET_TEST = """
import os, tempfile, uuid
from pytest_autoheal import TargetFailure


def test_tool_call():
    msg = (
        f"request {uuid.uuid4()} to 127.0.0.1:{os.getpid() % 50000 + 1024} failed at 2026-11-25T12:{os.getpid() % 60:02d}:07Z; "
        f"cache {tempfile.mkdtemp()} object 0x{id(msg) if False else os.getpid():x} attempt {os.getpid()}"
    )
    raise TargetFailure("tool failed", error_type="ToolError", message=msg, extras={"tool": "fetch"})
"""


def test_volatile_parts_of_a_message_do_not_split_a_frameless_failure(tmp_path: Path) -> None:
    marked = TARGET_TEST.replace(
        "def test_tool_call", "import pytest\n\n@pytest.mark.target('fetch')\n@pytest.mark.component('mcp_tools')\ndef test_tool_call"
    )
    one = run_variant(tmp_path, "one", {"app/service.py": SERVICE, "tests/test_app.py": marked})
    two = run_variant(tmp_path, "two", {"app/service.py": SERVICE, "tests/test_app.py": marked})
    assert one["error"]["message"] != two["error"]["message"]
    assert fp(one) == fp(two)
    template = one["fingerprint"]["values"]["message_template"]
    assert template == "request <uuid> to <addr> failed at <ts>; cache <path> object <hex> attempt <n>"
    other_target = run_variant(tmp_path, "three", {"app/service.py": SERVICE, "tests/test_app.py": marked.replace("'fetch'", "'upload'")})
    assert fp(other_target) != fp(one)


def test_a_checkout_inside_a_folder_named_tests_keeps_its_callers(tmp_path: Path) -> None:
    # Test folders are recognised below the checkout, not in the directories it was checked out to.
    service = SERVICE + "\n\ndef average(parts):\n    return ratio(10, parts)\n"
    test = "from app.service import average\n\n\ndef test_average():\n    assert average([None]) == 10\n"
    files = {"app/service.py": service, "tests/test_app.py": test}
    plain = run_variant(tmp_path / "work", "shop", files)
    nested = run_variant(tmp_path / "tests" / "ci", "shop", files)
    assert "/tests/ci/shop/app/" in nested["error"]["frames"][-1]["file"]
    assert [f.split(":")[1] for f in plain["fingerprint"]["values"]["frames"]] == ["average", "ratio"]
    assert fp(nested) == fp(plain)
