"""CLIs that hang, flood, print invalid UTF-8 or die by a signal: each a precise record, and the run goes on."""

from __future__ import annotations

import time

from tests.cli.conftest import CliProject

HANG = "import time\ntime.sleep(3600)\n"
FLOOD = "import sys\nchunk = b'x' * (1024 * 1024)\nfor _ in range(100):\n    sys.stdout.buffer.write(chunk)\nprint('usage: flood')\n"
SEGV = "import os, signal\nprint('usage: segv', flush=True)\nos.kill(os.getpid(), signal.SIGSEGV)\n"
BAD_UTF8_OK = "import sys\nsys.stdout.buffer.write(b'usage: latin \\xe9t\\xe9 \\xff\\xfe\\n  --version\\n')\n"
BAD_UTF8_FAIL = (
    "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\xc3(')\nsys.stderr.buffer.write(b'fatal: \\xc3\\x28 bad bytes\\n')\nsys.exit(3)\n"
)


def test_hang_flood_signal_and_invalid_utf8_each_get_a_precise_record(cli_project: CliProject):
    scripts = {
        name: cli_project.script(name, body)
        for name, body in {"hang": HANG, "flood": FLOOD, "segv": SEGV, "latin": BAD_UTF8_OK, "garbled": BAD_UTF8_FAIL}.items()
    }
    # Only the hanging CLI is told it has no --version; the others find out from their (failing) --help.
    variants = ",\n".join(
        f'    {{ command = ["{path}"], name = "{name}"{", version = false" if name == "hang" else ""} }}' for name, path in scripts.items()
    )
    good = '    { module = "autoheal_demo", name = "demo" }'
    cli_project.configure(f"[tool.autoheal.cli]\ntimeout = 3\nmax_output_mb = 10\nvariants = [\n{variants},\n{good}\n]\n")
    started = time.monotonic()
    result = cli_project.run("--autoheal-level=smoke", "--component=cli", "-rA")
    elapsed = time.monotonic() - started
    # Bad variants skip --version (one failure, one record); the demo passes both checks, the latin-1 CLI passes both too.
    result.assert_outcomes(failed=4, passed=4, skipped=4)
    assert len(cli_project.records()) == 4
    assert elapsed < 120, elapsed

    hang = cli_project.record_for("answers_help[hang]")
    assert hang["error"]["type"] == "TimeoutExpired"
    assert hang["classification"]["class"] == "timeout"
    assert hang["error"]["extras"]["timed_out"] is True and hang["error"]["extras"]["signal"] is None
    assert "did not exit within the 3s timeout" in hang["error"]["message"]

    flood = cli_project.record_for("answers_help[flood]")
    assert flood["error"]["type"] == "OutputFlood"
    assert flood["classification"]["class"] == "resource"
    assert flood["error"]["extras"]["stdout_bytes"] > 100 * 1024 * 1024
    assert len(flood["error"]["stdout_tail"]) < 20_000

    segv = cli_project.record_for("answers_help[segv]")
    assert segv["error"]["type"] == "SIGSEGV" and segv["error"]["extras"]["signal"] == "SIGSEGV"
    assert segv["classification"]["class"] == "crash"
    assert "killed by SIGSEGV" in segv["error"]["message"]

    garbled = cli_project.record_for("answers_help[garbled]")
    assert garbled["error"]["extras"]["exit_code"] == 3
    assert "\\xff\\xfe" in garbled["error"]["stdout_tail"]
    assert "fatal: \\xc3( bad bytes" in garbled["error"]["stderr_tail"]
    assert "expected exit code 0" in garbled["error"]["message"]
