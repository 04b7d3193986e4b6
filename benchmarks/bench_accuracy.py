"""Accuracy of classification and grouping on the corpus of real failure output (tests/corpus).

    python benchmarks/bench_accuracy.py [--no-api]

Class accuracy: every class text goes through ``autoheal analyze``'s analysis (the function the command
runs, in-process, from an empty directory: the log alone); the first record's class is compared with the
label. Printed overall, per class, per kind, with a confusion table, for the main and the held-out parts.

Fingerprints: pairwise precision and recall over the fingerprint corpus (a pair is right when both
texts are of one bug and share a fingerprint, or of two bugs and do not), on two paths:
- ``analyze``: the captured texts through ``autoheal analyze`` (log only; and again run from inside a
  checkout of the repository, as the generated autofix workflow runs it);
- ``API``: the same programs run again here, live, with the runtime reporter installed
  (``install_cli_error_handler``) for scripts, the plugin for pytest, and the ``/api/report-error``
  receiver for node errors (``node --test`` instances are not on this path: the runner catches them).
Targets: accuracy >= 0.90, precision >= 0.98, recall >= 0.95.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_autoheal.analyze import analyse_text, log_run  # noqa: E402
from pytest_autoheal.classify import compile_patterns  # noqa: E402
from pytest_autoheal.record import decode_output  # noqa: E402
from tests.corpus import bugs as bugs_mod  # noqa: E402
from tests.corpus.harness import Program, materialise, run_program, services, workdir  # noqa: E402

DATA = ROOT / "tests" / "corpus" / "data"
TARGETS = {"accuracy": 0.90, "precision": 0.98, "recall": 0.95}


def analyse(text: str, cwd: Path) -> list[dict[str, Any]]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return analyse_text(text, run=log_run(text), roots=[], patterns=compile_patterns())
    finally:
        os.chdir(here)


def classes(labels: list[dict[str, Any]], empty: Path) -> dict[str, list[tuple[dict[str, Any], str]]]:
    out: dict[str, list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for item in labels:
        text = decode_output((DATA / item["file"]).read_bytes())
        records = analyse(text, empty)
        out[item["split"]].append((item, records[0]["classification"]["class"] if records else "(none)"))
    return out


def print_accuracy(title: str, rows: list[tuple[dict[str, Any], str]]) -> float:
    right = sum(1 for item, got in rows if got == item["class"])
    accuracy = right / len(rows)
    print(f"\n## Class accuracy, {title}: {right}/{len(rows)} = {accuracy:.3f} (target {TARGETS['accuracy']:.2f})")
    for key in ("class", "kind"):
        groups: dict[str, list[bool]] = defaultdict(list)
        for item, got in rows:
            groups[item[key]].append(got == item["class"])
        cells = [f"{name} {sum(v)}/{len(v)}" for name, v in sorted(groups.items())]
        print(f"per {key}: " + ", ".join(cells))
    confusion = Counter((item["class"], got) for item, got in rows if got != item["class"])
    if confusion:
        print("confusion (expected -> got: count, texts):")
        for (want, got), n in confusion.most_common():
            ids = [item["id"] for item, g in rows if item["class"] == want and g == got]
            print(f"  {want:20} -> {got:20} {n}  {', '.join(ids)}")
    return accuracy


def pairwise(groups: dict[str, str | None], bugs: dict[str, str]) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    ids = [i for i in groups if groups[i] is not None]
    for a, b in itertools.combinations(ids, 2):
        same_bug = bugs[a] == bugs[b]
        same_fp = groups[a] == groups[b]
        tp += same_bug and same_fp
        fp += same_fp and not same_bug
        fn += same_bug and not same_fp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def print_pairs(title: str, groups: dict[str, str | None], bugs: dict[str, str], values: dict[str, Any]) -> tuple[float, float]:
    precision, recall, tp, fp, fn = pairwise(groups, bugs)
    missing = [i for i, g in groups.items() if g is None]
    print(
        f"{title:34} precision {precision:.3f}  recall {recall:.3f}  "
        f"({len(groups) - len(missing)} texts of {len({bugs[i] for i in groups})} bugs; "
        f"pairs: {tp} joined right, {fp} joined wrong, {fn} split)"
    )
    if missing:
        print(f"    no record for: {', '.join(missing)}")
    by_fp: dict[str, list[str]] = defaultdict(list)
    for i, g in groups.items():
        if g is not None:
            by_fp[g].append(i)
    for g, members in by_fp.items():
        if len({bugs[m] for m in members}) > 1:
            print(f"    joined wrong {g}: {', '.join(members)}  values={json.dumps(values.get(members[0]))[:300]}")
    split: dict[str, set[str]] = defaultdict(set)
    for i, g in groups.items():
        if g is not None:
            split[bugs[i]].add(g)
    for bug, fps in split.items():
        if len(fps) > 1:
            members = [i for i in groups if bugs[i] == bug and groups[i] is not None]
            shown = {m: (groups[m] or "")[:6] for m in members}
            first, last = json.dumps(values.get(members[0]))[:200], json.dumps(values.get(members[-1]))[:200]
            print(f"    split {bug}: {shown}  e.g. {first} / {last}")
    return precision, recall


def primary(records: list[dict[str, Any]], entry: str) -> dict[str, Any] | None:
    return records[0] if records else None


def analyze_groups(items: list[dict[str, Any]], cwd_for: Any) -> tuple[dict[str, str | None], dict[str, Any]]:
    groups: dict[str, str | None] = {}
    values: dict[str, Any] = {}
    for item in items:
        text = decode_output((DATA / item["file"]).read_bytes())
        with cwd_for(item) as cwd:
            record = primary(analyse(text, cwd), item["entry"])
        groups[item["id"]] = record["fingerprint"]["hash"] if record else None
        values[item["id"]] = record["fingerprint"]["values"] if record else None
    return groups, values


NODE_HOOK = """
process.on('uncaughtException', (e) => {
  const message = String(e && e.message !== undefined ? e.message : e);
  const body = { kind: 'error', type: (e && e.name) || typeof e, message, stack: (e && e.stack) || '' };
  require('fs').writeFileSync(process.env.AUTOHEAL_CORPUS_OUT, JSON.stringify(body));
  process.exit(1);
});
"""
SITECUSTOMIZE = "from pytest_autoheal import install_cli_error_handler\ninstall_cli_error_handler()\n"


def api_record(inst: bugs_mod.Instance, base: Path, values: dict[str, str]) -> dict[str, Any] | None:
    """Run one instance live with the project's own reporting on, and return the record it produced."""
    from pytest_autoheal.reporters.receiver import parse_report, record_from_report

    root = Path(bugs_mod.checkout(str(base / inst.id), inst.layout, inst.repo))
    materialise(root, inst.program.files)
    reports = base / f"{inst.id}-reports"
    hooks = base / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (hooks / "hook.js").write_text(NODE_HOOK)
    argv = list(inst.program.argv)
    env = {"ERROR_REPORTING_ENABLED": "1", "AUTOHEAL_REPORT_DIR": str(reports)}
    if inst.entry in ("script", "module"):
        env["PYTHONPATH"] = str(hooks)
    elif inst.entry.startswith("pytest"):
        at = argv.index("no:autoheal")
        argv = [*argv[: at - 1], *argv[at + 1 :], f"--autoheal-dir={reports}"]
    elif inst.entry == "node":
        argv = [argv[0], "--require", str(hooks / "hook.js"), *argv[1:]]
        env["AUTOHEAL_CORPUS_OUT"] = str(base / f"{inst.id}.json")
    else:
        return None
    run_program(Program(inst.program.files, argv, stream="both"), root, values, extra_env=env)
    if inst.entry == "node":
        out = base / f"{inst.id}.json"
        if not out.is_file():
            return None
        return record_from_report(parse_report(out.read_bytes()), component="js_sdk", run={"id": "bench"})
    found = sorted((reports / "records").glob("*.json"))
    return json.loads(found[0].read_text()) if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-api", action="store_true", help="skip the API path (it runs every fingerprint program again)")
    args = parser.parse_args()
    labels = json.loads((DATA / "labels.json").read_text())
    kinds = Counter(i["kind"] for i in labels["classes"])
    print(f"corpus: {len(labels['classes'])} class texts ({dict(kinds)}), {len(labels['fingerprints'])} fingerprint texts of "
          f"{len({f['bug'] for f in labels['fingerprints']})} bugs")
    with tempfile.TemporaryDirectory() as empty_dir:
        empty = Path(empty_dir)
        by_split = classes(labels["classes"], empty)
        print_accuracy("main", by_split["main"])
        print_accuracy("held out", by_split["heldout"])
        print_accuracy("all", by_split["main"] + by_split["heldout"])

        from contextlib import contextmanager

        @contextmanager
        def nowhere(item: dict[str, Any]):
            yield empty

        checkouts: dict[str, Path] = {}
        repos = {r.name: r for r in bugs_mod.repos()}

        @contextmanager
        def in_checkout(item: dict[str, Any]):
            if item["repo"] not in checkouts:
                checkouts[item["repo"]] = empty / "checkouts" / item["repo"]
                materialise(checkouts[item["repo"]], repos[item["repo"]].files)
            yield checkouts[item["repo"]]

        print("\n## Fingerprints, pairwise (targets: precision >= 0.98, recall >= 0.95)")
        for split in ("main", "heldout", None):
            items = [f for f in labels["fingerprints"] if split is None or f["split"] == split]
            bugs = {f["id"]: f["bug"] for f in items}
            name = split or "all"
            groups, values = analyze_groups(items, nowhere)
            print_pairs(f"analyze, log only, {name}", groups, bugs, values)
            groups, values = analyze_groups(items, in_checkout)
            print_pairs(f"analyze, in the checkout, {name}", groups, bugs, values)
    if args.no_api:
        return 0
    insts = bugs_mod.instances()
    api: dict[str, str | None] = {}
    api_values: dict[str, Any] = {}
    with services() as values, workdir("autoheal-bench-api-") as base:
        for inst in insts:
            record = api_record(inst, base, values)
            if record is None and inst.entry == "node-test":
                continue
            api[inst.id] = record["fingerprint"]["hash"] if record else None
            api_values[inst.id] = record["fingerprint"]["values"] if record else None
    for split in ("main", "heldout", None):
        chosen = {i.id: i.bug for i in insts if i.id in api and (split is None or i.split == split)}
        print_pairs(f"API (live), {split or 'all'}", {i: api[i] for i in chosen}, chosen, api_values)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
