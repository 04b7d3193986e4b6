"""Regenerate the accuracy corpus: run every failing program here and keep what it printed, byte for byte.

    python -m tests.corpus.generate            # writes tests/corpus/data/

Nothing in the corpus is typed by hand. Each text is the captured output of a real run (``cases.py``:
one small program per text, labelled with the class a person gives its failure; ``bugs.py``: bugs of two
small repositories reached in several ways, labelled with the bug). Programs run in temporary trees
(under ``home/runner/work/R/R``, ``home/runner/_work/R/R``, ``__w/R/R`` or another prefix for the
fingerprint corpus) against loopback peers started here; programs that need a refusal drop to an
unprivileged user with ``setpriv``.

The ``actions`` texts are real captured output put into GitHub Actions' job-log format by one documented
transformation (``harness.actions_log``): an ISO-8601 timestamp with 7 fractional digits and ``Z`` before
every line, the step as ``##[group]Run <command>`` with the runner's ``shell:`` and ``env:`` lines and
``##[endgroup]``, the output unchanged, then ``##[error]Process completed with exit code N.`` with N as
bash reports it (128 + N for a death by signal N). The ``job`` form adds the set-up and checkout steps
before it (with actions/checkout's ``Working directory is '/home/runner/work/shop/shop'`` line, as a
hosted runner prints it, whatever the program's real directory was) and post steps after it; the ``step``
form is the failing step alone (a run archive's per-step file); the ``gh`` form is what
``gh run view --log-failed`` prints, ``job<TAB>step<TAB>`` before each timestamped line and no checkout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from . import bugs as bugs_mod
from .cases import all_cases
from .harness import actions_log, materialise, run_program, services, workdir

DATA = Path(__file__).parent / "data"


def _jsdom() -> str:
    from tests.support.thirdparty import npm_prefix

    return str(npm_prefix("jsdom", ["jsdom@26.1.0"]).parent / "jsdom")


def generate(out: Path, *, only: str | None = None) -> dict[str, Any]:
    labels: dict[str, Any] = {"classes": [], "fingerprints": []}
    (out / "classes").mkdir(parents=True, exist_ok=True)
    (out / "fingerprints").mkdir(parents=True, exist_ok=True)
    with services() as values, workdir("autoheal-corpus-") as base:
        values = {**values, "jsdom": _jsdom()}
        for n, case in enumerate(all_cases()):
            if only and only not in case.id:
                continue
            root = base / "cases" / case.id
            materialise(root, case.program.files)
            captured = run_program(case.program, root, values)
            data = captured.output
            if case.kind == "actions":
                data = actions_log(data, command=case.command, returncode=captured.returncode, form=case.form, start=n % 50)
            name = f"{case.id}.txt"
            (out / "classes" / name).write_bytes(data)
            labels["classes"].append(
                {"id": case.id, "class": case.cls, "kind": case.kind, "split": case.split, "file": f"classes/{name}", "exit_code": captured.returncode}
            )
            print(f"{case.id:24} {case.cls:20} {case.kind:10} exit {captured.returncode:4} {len(data):6} bytes", flush=True)
        for n, inst in enumerate(bugs_mod.instances()):
            if only and only not in inst.id:
                continue
            root = Path(bugs_mod.checkout(str(base / "fp" / inst.id), inst.layout, inst.repo))
            materialise(root, inst.program.files)
            captured = run_program(inst.program, root, values)
            data = captured.output
            if inst.kind == "actions":
                command = " ".join(a.replace("{python}", "python").replace("{node}", "node") for a in captured.argv[:0] or inst.program.argv)
                command = command.replace(sys.executable, "python")
                data = actions_log(data, command=command, returncode=captured.returncode, form=inst.form, start=n % 50, job=f"{inst.repo} tests")
            name = f"{inst.id}.txt"
            (out / "fingerprints" / name).write_bytes(data)
            labels["fingerprints"].append(
                {
                    "id": inst.id,
                    "bug": inst.bug,
                    "repo": inst.repo,
                    "split": inst.split,
                    "layout": inst.layout,
                    "entry": inst.entry,
                    "shifted": inst.shifted,
                    "kind": inst.kind,
                    "form": inst.form,
                    "file": f"fingerprints/{name}",
                    "exit_code": captured.returncode,
                }
            )
            print(f"{inst.id:28} {inst.layout:12} {inst.entry:9} {inst.kind:10} exit {captured.returncode:4}", flush=True)
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--only", help="regenerate only the texts whose id contains this (their labels are replaced in labels.json)")
    args = parser.parse_args(argv)
    if args.only:
        fresh = generate(args.out, only=args.only)
        path = args.out / "labels.json"
        labels = json.loads(path.read_text()) if path.is_file() else {"classes": [], "fingerprints": []}
        for key in ("classes", "fingerprints"):
            new = {item["id"]: item for item in fresh[key]}
            labels[key] = [new.pop(item["id"], item) for item in labels[key]] + list(new.values())
        path.write_text(json.dumps(labels, indent=1) + "\n")
        return 0
    if args.out.exists():
        shutil.rmtree(args.out)
    labels = generate(args.out)
    (args.out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    print(f"{len(labels['classes'])} class texts, {len(labels['fingerprints'])} fingerprint texts of "
          f"{len({f['bug'] for f in labels['fingerprints']})} bugs written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
