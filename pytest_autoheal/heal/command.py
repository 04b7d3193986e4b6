"""``autoheal heal``: file or update deduplicated issues and one draft PR per new bug.

Exit codes: 0 done; 1 some actions failed or were left for the next run; 2 a problem the user
must fix (configuration, token, repository); 3 GitHub could not be read at start-up even after
retries, so nothing was written: run again later.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..config import ConfigError, load_config
from .backend import Backend, HealError
from .config import HealConfig
from .engine import GaveUp, Healer, load_clusters

EXIT_OK, EXIT_UNFINISHED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reports", nargs="+", required=True, metavar="DIR", help="report directories (shards merge)")
    parser.add_argument("--repo", help="owner/name (default: heal.repo, else GITHUB_REPOSITORY)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and write nothing remote")
    parser.add_argument("--backend", choices=("github", "local"), help="where issues go (default: heal.backend, 'github')")
    parser.add_argument("--local-repo", metavar="PATH", help="git repository for the local backend (branches and commits are made there)")
    parser.add_argument("--local-store", metavar="DIR", help="where the local backend keeps issues and PRs (default: <git dir>/autoheal)")
    parser.add_argument("--api-url", help="GitHub API base URL (default: heal.api_url, else GITHUB_API_URL, else api.github.com)")
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml or TOML file with [tool.autoheal] (default: ./pyproject.toml)")
    parser.add_argument("--max-new", type=int, metavar="N", help="override heal.max_reports_per_session for this run")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="where heal/journal.jsonl and heal/state.json go (default: the first --reports DIR)"
    )


def _config(args: argparse.Namespace) -> HealConfig:
    cfg = load_config(Path.cwd(), args.config).heal
    updates: dict[str, object] = {}
    for key, value in (("repo", args.repo), ("backend", args.backend), ("api_url", args.api_url), ("local_repo", args.local_repo)):
        if value:
            updates[key] = value
    if args.max_new is not None:
        updates["max_reports_per_session"] = args.max_new
    return HealConfig.model_validate({**cfg.model_dump(), **updates}) if updates else cfg


def _backend(cfg: HealConfig, args: argparse.Namespace) -> Backend | None:
    if cfg.backend == "local":
        from .local_backend import LocalBackend

        if not cfg.local_repo:
            raise HealError("the local backend needs a git repository: pass --local-repo PATH or set heal.local_repo")
        return LocalBackend(cfg.local_repo, store_dir=args.local_store, repo=cfg.repo or "local/repo", base_branch=cfg.base_branch)
    if not cfg.repo:
        if args.dry_run:
            return None
        raise HealError("no repository: pass --repo owner/name, set heal.repo, or set GITHUB_REPOSITORY")
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token and not args.dry_run:
        raise HealError("GITHUB_TOKEN is not set; export a token with issues, contents and pull-requests write access, or use --dry-run")
    from .github_backend import GithubBackend

    return GithubBackend(cfg.repo, token=token, api_url=cfg.api_url, timeout=cfg.timeout)


def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        cfg = _config(args)
    except ConfigError as exc:
        print(f"autoheal heal: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        print(f"autoheal heal: bad option: {exc}", file=sys.stderr)
        return EXIT_USAGE
    missing = [d for d in args.reports if not Path(d).is_dir()]
    if missing:
        print(f"autoheal heal: report directory not found: {missing[0]}; pass the directory pytest wrote (--autoheal-dir)", file=sys.stderr)
        return EXIT_USAGE
    errors: list[str] = []
    clusters, count = load_clusters(args.reports, errors)
    for err in errors:
        print(f"autoheal heal: skipped unreadable record {err}", file=sys.stderr)
    print(f"heal: {count} record(s) in {len(args.reports)} report dir(s): {len(clusters)} fingerprint(s)", flush=True)
    backend: Backend | None = None
    try:
        backend = _backend(cfg, args)
        healer = Healer(backend, cfg, args.state_dir or args.reports[0], dry_run=args.dry_run, progress=lambda m: print(m, flush=True))
        if healer.pending:
            ops = ", ".join(f"{e['op']} {str(e['fingerprint'])[:12]}" for e in healer.pending[:5])
            print(f"heal: the previous run was cut off during {len(healer.pending)} write(s) ({ops}); checking the repository first")
        healer.read_remote(clusters)
        plan = healer.plan(clusters)
    except HealError as exc:
        _close(backend)
        print(f"autoheal heal: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GaveUp as exc:
        _close(backend)
        where = getattr(backend, "api_url", None) or "the forge"
        print(f"autoheal heal: cannot read GitHub at {where}: {exc}; nothing was written, run heal again later", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(plan.table(), flush=True)
    if args.dry_run:
        _close(backend)
        print("heal: dry run; nothing written")
        return EXIT_OK
    try:
        result = healer.execute(plan)
    except HealError as exc:
        print(f"autoheal heal: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        healer.save_state()
        _close(backend)
    closed = f"{len(result.closed)} duplicate(s) closed, " if result.closed else ""
    print(
        f"heal: {len(result.created)} issue(s) created, {len(result.pulls)} draft PR(s), {len(result.commented)} comment(s), "
        f"{len(result.reopened)} reopened, {closed}{result.writes} write request(s), {result.retries} retr(ies) "
        f"in {time.monotonic() - started:.1f}s"
    )
    for line in result.failed:
        print(f"autoheal heal: failed: {line}", file=sys.stderr)
    if not result.ok:
        print(
            f"autoheal heal: {len(result.failed) + len(result.unfinished)} action(s) not done; run heal again to finish them",
            file=sys.stderr,
        )
        return EXIT_UNFINISHED
    return EXIT_OK


def _close(backend: Backend | None) -> None:
    if hasattr(backend, "close"):
        backend.close()  # type: ignore[union-attr]
