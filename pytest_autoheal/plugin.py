"""pytest-autoheal's hooks and wiring (entry point ``pytest11``: ``autoheal``)."""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import store
from .capture import (
    InflightMarker,
    TestMeta,
    TestState,
    error_from_exception,
    make_test_record,
    merge_occurrence,
    read_marker,
    record_from_marker,
    recover_inflight,
)
from .classify import Pattern, compile_patterns
from .context import run_context
from .frames import default_roots
from .record import write_record
from .redact import redact
from .settings import COMPONENTS, DEFAULT_REPORT_DIR, LEVEL_CHOICES, ConfigError, RawConfig, parse_components, parse_levels, read_config
from .summary import RunSummary, terminal_lines

if TYPE_CHECKING:
    from .config import AutohealConfig

LEVEL_HELP = f"levels to run: {', '.join(LEVEL_CHOICES)} (comma list; comprehensive includes smoke)"
CATEGORY_HELP = "only tests of these categories (comma list), e.g. MCP tool categories such as pdf_tools"
COMPONENT_HELP = f"only these components (comma list): {', '.join(COMPONENTS)}"
DIR_HELP = "directory for failure records, run.json and the health report (default: autoheal-reports)"
CONFIG_HELP = "file holding the target configuration (default: [tool.autoheal] of the rootdir's pyproject.toml)"
DISABLE_HELP = "switch pytest-autoheal off for this run (no records, no report)"
BROWSER_HELP = "browser driver for browser-level tests: playwright (default) or selenium"

STATE_KEY = pytest.StashKey["AutohealSession"]()
TEST_KEY = pytest.StashKey[TestState]()
META_KEY = pytest.StashKey[tuple[TestMeta, Any]]()

MARKERS = {
    "level": "level(name): the autoheal level of a test: smoke, comprehensive, stress or browser",
    "component": "component(name): the platform component a test checks: cli, mcp_tools, js_sdk or dashboard",
    "category": "category(name): the category of the checked target (e.g. an MCP tool category)",
    "target": "target(name): the checked target (tool, command, page or file), recorded with failures",
}


# The failure output carries the record's grouping so a raw CI log can be read back exactly.
LOG_SECTION = "autoheal"


def log_line(record: dict[str, Any]) -> str:
    fp = record["fingerprint"]
    cls = record["classification"]
    data = {"record": record["id"], "fingerprint": fp["hash"], "algorithm": fp["algorithm"], "class": cls["class"]}
    data.update(confidence=cls["confidence"], type=record["error"]["type"], values=fp["values"])
    return redact(json.dumps(data, ensure_ascii=False))


class AutohealWarning(pytest.PytestWarning):
    """pytest-autoheal could not do part of its work; test outcomes are unaffected."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autoheal", "pytest-autoheal: platform monitoring and failure records")
    group.addoption("--autoheal-level", dest="autoheal_level", default=None, metavar="LEVELS", help=LEVEL_HELP)
    group.addoption("--category", dest="autoheal_category", default=None, metavar="CATEGORIES", help=CATEGORY_HELP)
    group.addoption("--component", dest="autoheal_component", default=None, metavar="COMPONENTS", help=COMPONENT_HELP)
    group.addoption("--autoheal-dir", dest="autoheal_dir", default=None, metavar="DIR", help=DIR_HELP)
    group.addoption("--autoheal-config", dest="autoheal_config", default=None, metavar="FILE", help=CONFIG_HELP)
    group.addoption("--autoheal-disable", dest="autoheal_disable", action="store_true", default=None, help=DISABLE_HELP)
    group.addoption("--autoheal-browser", dest="autoheal_browser", default=None, choices=("playwright", "selenium"), help=BROWSER_HELP)
    parser.addini("autoheal_level", LEVEL_HELP, default="")
    parser.addini("autoheal_category", CATEGORY_HELP, default="")
    parser.addini("autoheal_component", COMPONENT_HELP, default="")
    parser.addini("autoheal_dir", DIR_HELP, default="")
    parser.addini("autoheal_config", CONFIG_HELP, default="")
    parser.addini("autoheal_disable", DISABLE_HELP, type="bool", default=False)
    parser.addini("autoheal_browser", BROWSER_HELP, default="playwright")


def _opt(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return value if value not in (None, "") else config.getini(name)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    if _opt(config, "autoheal_disable"):
        return
    try:
        session = AutohealSession.from_config(config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[STATE_KEY] = session
    config.pluginmanager.register(session, "autoheal-session")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(session), "autoheal-xdist")
    if config.pluginmanager.hasplugin("html"):
        from .report import html_plugin

        html_plugin.register(config, session.report_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(STATE_KEY, None)
    if session is not None:
        session.close()


def autoheal_session(config: pytest.Config) -> AutohealSession | None:
    """The running session's state, or None when the plugin is switched off."""
    return config.stash.get(STATE_KEY, None)


@pytest.fixture
def autoheal_record(request: pytest.FixtureRequest) -> TestState:
    """Add extras, metrics and attachments to this test's failure record and the run summary."""
    return request.node.stash.setdefault(TEST_KEY, TestState())


@pytest.fixture(scope="session")
def autoheal_config(request: pytest.FixtureRequest) -> AutohealConfig:
    """The validated ``[tool.autoheal]`` configuration of this run."""
    session = autoheal_session(request.config)
    if session is None:
        pytest.skip("pytest-autoheal is switched off (--autoheal-disable)")
    return session.cfg


class AutohealSession:
    """Per-process state: configuration, selection, capture and (on the controller) the summary."""

    def __init__(self, config: pytest.Config, raw: RawConfig, cfg: AutohealConfig | None, report_dir: Path, run: dict[str, Any]):
        self.config = config
        self._raw = raw
        self._cfg = cfg
        self.report_dir = report_dir
        self.run = run
        self.worker = getattr(config, "workerinput", {}).get("workerid")
        self.is_controller = self.worker is None
        table = raw.data or {}
        in_app = [str((raw.base_dir / p).resolve()) for p in table.get("in_app", [])]
        rootdir = getattr(config, "workerinput", {}).get("autoheal_rootdir") or config.rootpath
        self.roots = default_roots(rootdir) + in_app
        self.patterns: list[Pattern] = compile_patterns(table.get("classify", {}).get("patterns", []))
        level = _opt(config, "autoheal_level") or table.get("level")
        self.levels = parse_levels(level) if level else ()
        comp = _opt(config, "autoheal_component")
        self.components = parse_components(comp) if comp else ()
        cat = _opt(config, "autoheal_category")
        self.categories = tuple(dict.fromkeys(c.strip() for c in cat.split(",") if c.strip())) if cat else ()
        self.summary = (
            RunSummary(run, levels=self.levels, components=self.components, categories=self.categories) if self.is_controller else None
        )
        self.known: dict[str, dict[str, Any]] = {}
        self.marker: InflightMarker | None = None
        self.exit_status: int | None = None
        self.usage_error: str | None = None
        self.run_data: dict[str, Any] | None = None
        self.timeout_method = str(_safe_ini(config, "timeout_method") or "")
        self.timeout_default = _safe_ini(config, "timeout")

    @property
    def cfg(self) -> AutohealConfig:
        """The validated configuration (built on first use when the project has no table)."""
        if self._cfg is None:
            from .config import AutohealConfig

            self._cfg = AutohealConfig(base_dir=self._raw.base_dir, source=str(self._raw.path or "<defaults>"))
        return self._cfg

    @classmethod
    def from_config(cls, config: pytest.Config) -> AutohealSession:
        workerinput = getattr(config, "workerinput", None)
        if workerinput and workerinput.get("autoheal_run"):
            # Workers read the file the controller read: their rootdir can differ (e.g. a path-like option value).
            source = workerinput.get("autoheal_config_file")
            raw = read_config(Path(source).parent, source) if source else RawConfig(None, None, "tool.autoheal", config.rootpath)
        else:
            raw = read_config(config.rootpath, _opt(config, "autoheal_config") or None)
        cfg = None
        if raw.data is not None:
            from .config import validate_config

            assert raw.path is not None
            cfg = validate_config(raw.data, raw.path, raw.prefix)
        report_dir_opt = _opt(config, "autoheal_dir")
        if report_dir_opt:
            report_dir = Path(config.invocation_params.dir) / report_dir_opt
        else:
            report_dir = raw.base_dir / (raw.data or {}).get("report_dir", DEFAULT_REPORT_DIR)
        if workerinput and workerinput.get("autoheal_run"):
            run = dict(workerinput["autoheal_run"])
            report_dir = Path(workerinput["autoheal_dir"])
        else:
            run = run_context()
        session = cls(config, raw, cfg, report_dir.resolve(), run)
        if session.is_controller:
            session._prepare_dir()
        return session

    def _prepare_dir(self) -> None:
        recover_inflight(self.report_dir, self.patterns)
        from .report import publish

        publish.archive_previous(self.report_dir, self._cfg)
        for name in (store.RECORDS, store.INFLIGHT):
            shutil.rmtree(self.report_dir / name, ignore_errors=True)
        store.records_dir(self.report_dir).mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        if self.marker is not None:
            self.marker.close()
            self.marker = None

    # Selection

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
        try:
            self._select(config, items)
        except pytest.UsageError as exc:
            if self.worker is None:
                raise
            # A worker cannot stop the run; it selects nothing and the controller reports the error.
            config.workeroutput["autoheal_usage_error"] = str(exc)  # type: ignore[attr-defined]
            config.hook.pytest_deselected(items=list(items))
            items[:] = []

    def _select(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        selected = list(items)
        deselected: list[pytest.Item] = []
        if self.categories:
            known = {m for it in items if (m := _marker_value(it, "category"))}
            unknown = [c for c in self.categories if c not in known]
            if unknown:
                valid = ", ".join(sorted(known)) or "none (no collected test declares a category)"
                raise pytest.UsageError(f"--category: unknown category {', '.join(map(repr, unknown))}; valid categories: {valid}")
        for name, wanted in (("--autoheal-level", self.levels), ("--component", self.components), ("--category", self.categories)):
            if not wanted:
                continue
            key = {"--autoheal-level": "level", "--component": "component", "--category": "category"}[name]
            keep = [it for it in selected if _marker_value(it, key) in wanted]
            if selected and not keep:
                raise pytest.UsageError(
                    f"{name}={','.join(wanted)} selected no test: none of the {len(selected)} test(s) left by the other filters "
                    f"is marked with {key} {', '.join(wanted)}"
                )
            deselected.extend(it for it in selected if it not in keep)
            selected = keep
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected

    # Capture (on the process that runs the test)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        try:
            if self.marker is None:
                self.marker = InflightMarker(
                    self.report_dir,
                    self.worker or f"main-{os.getpid()}",
                    static={"pid": os.getpid(), "host": os.uname().nodename, "worker": self.worker, "run": self.run},
                )
            meta, timeout_marker = _cached_meta(item)
            limit, method = _timeout(timeout_marker, self.timeout_default, self.timeout_method)
            self.marker.start_test(item.nodeid, _marker_fields(meta, limit, method), time.time())
        except Exception as exc:
            _warn(item, f"could not write the in-flight marker: {exc!r}")
        try:
            return (yield)
        finally:
            if self.marker is not None:
                try:
                    self.marker.clear()
                except OSError:
                    pass

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        report = yield
        try:
            self._capture(item, call, report)
        except Exception as exc:
            _warn(item, f"could not write the failure record: {exc!r}")
        return report

    def _capture(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        if report.passed and report.when != "call":
            # Passing setup and teardown carry nothing the controller needs.
            return
        meta = item_meta(item)
        state = item.stash.get(TEST_KEY, None)
        if state is not None:
            meta.target = state.target or meta.target
            meta.category = state.category or meta.category
        info: dict[str, Any] = meta.to_dict()
        if state is not None and state.metrics:
            info["metrics"] = _plain(state.metrics)
        attempt = int(getattr(item, "execution_count", 1) or 1)
        if report.failed and call.excinfo is not None and not hasattr(report, "wasxfail"):
            longrepr = _longrepr_text(report)
            error, facts = error_from_exception(call.excinfo.value, self.roots, longrepr)
            error.stdout = error.stdout if error.stdout is not None else report.capstdout
            error.stderr = error.stderr if error.stderr is not None else report.capstderr
            error.log = error.log if error.log is not None else report.caplog
            if state is not None:
                error.extras = {**state.extras, **error.extras}
                if state.attachments:
                    error.extras["attachments"] = dict(state.attachments)
            record = make_test_record(
                nodeid=item.nodeid,
                phase=report.when,
                meta=meta,
                error=error,
                facts=facts,
                run=self.run,
                patterns=self.patterns,
                duration=report.duration,
                outcome="failed" if report.when == "call" else "error",
                worker=self.worker,
                reruns=attempt - 1,
            )
            record = merge_occurrence(self.report_dir, record, self.known)
            item.stash.setdefault(TEST_KEY, TestState()).records[record["id"]] = record
            report.sections.append((LOG_SECTION, log_line(record)))
            info.update(
                record_id=record["id"],
                fingerprint=record["fingerprint"]["hash"],
                cause=record["classification"]["root_cause"],
                **{"class": record["classification"]["class"]},
            )
        elif report.when == "call" and report.passed and attempt > 1 and state is not None and state.records:
            # Failed before, passed on a rerun: flaky, not a bug.
            flaky_ids = []
            for rec in state.records.values():
                rec["flaky"] = True
                rec["test"]["outcome"] = "flaky"
                rec["test"]["reruns"] = attempt - 1
                write_record(self.report_dir, rec)
                flaky_ids.append(rec["id"])
            info["flaky_ids"] = flaky_ids
        if info:
            report.autoheal = info  # JSON-safe: crosses to the xdist controller

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[Any]:
        report = yield
        try:
            call = report.__dict__.get("call")
            if report.failed and call is not None and call.excinfo is not None:
                error, facts = error_from_exception(call.excinfo.value, self.roots, _longrepr_text(report))
                record = make_test_record(
                    nodeid=report.nodeid or str(collector.path),
                    phase="collect",
                    meta=TestMeta(),
                    error=error,
                    facts=facts,
                    run=self.run,
                    patterns=self.patterns,
                    duration=None,
                    outcome="error",
                    worker=self.worker,
                )
                merge_occurrence(self.report_dir, record, self.known)
                report.autoheal = {
                    "record_id": record["id"],
                    "fingerprint": record["fingerprint"]["hash"],
                    "class": record["classification"]["class"],
                    "cause": record["classification"]["root_cause"],
                }
        except Exception as exc:
            warnings.warn(AutohealWarning(f"could not record a collection error: {exc!r}"), stacklevel=1)
        return report

    # Summary (on the controller)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.summary is None:
            return
        try:
            if report.when == "???":
                self._record_crash(report)
            self.summary.add_report(report)
        except Exception as exc:
            warnings.warn(AutohealWarning(f"could not summarise {report.nodeid}: {exc!r}"), stacklevel=1)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self.summary is not None and report.failed:
            try:
                self.summary.add_collect_report(report)
            except Exception as exc:
                warnings.warn(AutohealWarning(f"could not summarise {report.nodeid}: {exc!r}"), stacklevel=1)

    def _record_crash(self, report: pytest.TestReport) -> None:
        worker = _crashed_worker(report)
        marker = read_marker(self.report_dir / store.INFLIGHT / f"{worker}.json") if worker else None
        if not marker or marker.get("nodeid") != report.nodeid:
            marker = {"nodeid": report.nodeid, "worker": worker, "run": self.run}
        marker = {**marker, "run": self.run, "signal": None}
        record = record_from_marker(marker, reason=_longrepr_text(report).strip() or "worker crashed", patterns=self.patterns)
        if not store.record_path(self.report_dir, record["id"]).exists():
            write_record(self.report_dir, record)
        report.autoheal = {
            **(getattr(report, "autoheal", None) or {}),
            **{k: marker.get(k) for k in ("level", "component", "category", "target") if marker.get(k)},
            "record_id": record["id"],
            "fingerprint": record["fingerprint"]["hash"],
            "class": record["classification"]["class"],
            "cause": record["classification"]["root_cause"],
        }

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.close()
        if self.summary is None:
            return
        if self.usage_error:
            session.exitstatus = exitstatus = pytest.ExitCode.USAGE_ERROR
        self.exit_status = int(exitstatus)
        try:
            recover_inflight(self.report_dir, self.patterns)
            data = self.run_data = self.summary.write(self.report_dir, self.exit_status)
            from .report import publish

            publish.publish_session(self.report_dir, data, self._cfg, self.config)
        except Exception as exc:
            warnings.warn(AutohealWarning(f"could not write the run summary or report: {exc!r}"), stacklevel=1)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.summary is None:
            return
        if self.usage_error:
            terminalreporter.write_line(f"ERROR: {self.usage_error}", red=True)
        try:
            data = self.run_data if self.run_data is not None else self.summary.to_dict()
            terminalreporter.section("autoheal")
            for line in terminal_lines(data, self.report_dir):
                terminalreporter.write_line(redact(line))
            health = self.report_dir / store.HEALTH_FILE
            if health.exists():
                terminalreporter.write_line(f"health report: {health}")
        except Exception as exc:
            terminalreporter.write_line(f"autoheal: could not print the summary: {exc!r}")


class XdistHooks:
    """Hooks that exist only with pytest-xdist; registered only when it is installed."""

    def __init__(self, session: AutohealSession) -> None:
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["autoheal_run"] = self.session.run
        node.workerinput["autoheal_dir"] = str(self.session.report_dir)
        node.workerinput["autoheal_rootdir"] = str(self.session.config.rootpath)
        node.workerinput["autoheal_config_file"] = str(self.session._raw.path) if self.session._raw.data is not None else None

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        message = getattr(node, "workeroutput", {}).get("autoheal_usage_error")
        if message:
            self.session.usage_error = message


def item_meta(item: pytest.Item) -> TestMeta:
    return TestMeta(**_cached_meta(item)[0].__dict__)


_META_MARKERS = ("level", "component", "category", "target", "timeout")
# Most tests carry none of these markers; they share one entry instead of allocating their own.
_NO_META: tuple[TestMeta, Any] = (TestMeta(), None)


def _cached_meta(item: pytest.Item) -> tuple[TestMeta, Any]:
    """The markers a record needs, read in one pass over the item's markers (closest first)."""
    cached = item.stash.get(META_KEY, None)
    if cached is None:
        found: dict[str, Any] = {}
        for marker in item.iter_markers():
            if marker.name in _META_MARKERS and marker.name not in found:
                found[marker.name] = marker
        if found:
            meta = TestMeta(**{name: _marker_arg(found.get(name)) for name in ("level", "component", "category", "target")})
            cached = (meta, found.get("timeout"))
        else:
            cached = _NO_META
        item.stash[META_KEY] = cached
    return cached


def _marker_value(item: pytest.Item, name: str) -> str | None:
    return _marker_arg(item.get_closest_marker(name))


def _marker_arg(marker: Any) -> str | None:
    if marker is None:
        return None
    value = marker.args[0] if marker.args else marker.kwargs.get("name")
    return str(value) if value is not None else None


def _timeout(marker: Any, default: Any, default_method: str) -> tuple[float | None, str | None]:
    """pytest-timeout's limit and method for a test (marker first, then its ini settings)."""
    value = (marker.args[0] if marker.args else marker.kwargs.get("timeout")) if marker else default
    method = marker.kwargs.get("method") if marker else None
    if method is None and marker is not None and len(marker.args) > 1:
        method = marker.args[1]
    try:
        limit = float(value) if value not in (None, "") and float(value) > 0 else None
    except (TypeError, ValueError):
        limit = None
    return limit, (method or default_method or None)


def _marker_fields(meta: TestMeta, limit: float | None, method: str | None) -> str:
    # Hand-built JSON: this runs once per test and json.dumps of a dict costs more than the rest.
    parts = [f'"{k}":{encode_basestring(v)}' for k, v in meta.__dict__.items() if v is not None]
    parts.append(f'"timeout":{limit!r}' if limit is not None else '"timeout":null')
    parts.append(f'"timeout_method":{encode_basestring(method)}' if method else '"timeout_method":null')
    return ",".join(parts)


def _safe_ini(config: pytest.Config, name: str) -> Any:
    try:
        return config.getini(name)
    except (ValueError, KeyError):
        return None


def _crashed_worker(report: Any) -> str | None:
    import re

    m = re.search(r"worker '?(gw\d+)'? crashed", _longrepr_text(report))
    return m.group(1) if m else getattr(report, "node", None) and getattr(report.node, "gateway", None) and report.node.gateway.id


def _longrepr_text(report: Any) -> str:
    try:
        return str(report.longrepr) if report.longrepr is not None else ""
    except Exception:
        return ""


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _warn(item: pytest.Item, message: str) -> None:
    try:
        item.warn(AutohealWarning(message))
    except Exception:
        warnings.warn(AutohealWarning(message), stacklevel=1)
