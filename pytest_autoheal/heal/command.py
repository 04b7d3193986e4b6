"""``autoheal heal``: file or update deduplicated issues and one draft PR per new bug."""

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
        return 2
    except ValueError as exc:
        print(f"autoheal heal: bad option: {exc}", file=sys.stderr)
        return 2
    missing = [d for d in args.reports if not Path(d).is_dir()]
    if missing:
        print(f"autoheal heal: report directory not found: {missing[0]}; pass the directory pytest wrote (--autoheal-dir)", file=sys.stderr)
        return 2
    errors: list[str] = []
    clusters, count = load_clusters(args.reports, errors)
    for err in errors:
        print(f"autoheal heal: skipped unreadable record {err}", file=sys.stderr)
    print(f"heal: {count} record(s) in {len(args.reports)} report dir(s): {len(clusters)} fingerprint(s)", flush=True)
    try:
        backend = _backend(cfg, args)
        healer = Healer(backend, cfg, args.state_dir or args.reports[0], dry_run=args.dry_run, progress=lambda m: print(m, flush=True))
        pending = healer.journal.unfinished() if healer.journal else []
        if pending:
            ops = ", ".join(f"{e['op']} {str(e['fingerprint'])[:12]}" for e in pending[:5])
            print(f"heal: the previous run was cut off during {len(pending)} write(s) ({ops}); checking the repository first")
        healer.read_remote(clusters)
        plan = healer.plan(clusters)
    except (HealError, GaveUp) as exc:
        print(f"autoheal heal: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, HealError) else 1
    print(plan.table(), flush=True)
    if args.dry_run:
        print("heal: dry run; nothing written")
        return 0
    try:
        result = healer.execute(plan)
    except HealError as exc:
        print(f"autoheal heal: {exc}", file=sys.stderr)
        return 2
    finally:
        healer.save_state()
        if hasattr(backend, "close"):
            backend.close()
    print(
        f"heal: {len(result.created)} issue(s) created, {len(result.pulls)} draft PR(s), {len(result.commented)} comment(s), "
        f"{len(result.reopened)} reopened, {result.writes} write request(s), {result.retries} retr(ies) "
        f"in {time.monotonic() - started:.1f}s"
    )
    for line in result.failed:
        print(f"autoheal heal: failed: {line}", file=sys.stderr)
    if not result.ok:
        print(
            f"autoheal heal: {len(result.failed) + len(result.unfinished)} action(s) not done; run heal again to finish them",
            file=sys.stderr,
        )
        return 1
    return 0
