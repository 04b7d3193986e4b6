"""pytest-autoheal's hooks and wiring (entry point ``pytest11``: ``autoheal``).

A passing test costs two plain hook calls (the in-flight marker's start and clear); records
are written from ``pytest_exception_interact``, which pytest calls only for failures, and
the run summary is built once at the end from the reports pytest kept. The analysis,
storage and report modules load on the first failure or at session end.
"""

from __future__ import annotations

import os
import time
import warnings
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .settings import COMPONENTS, DEFAULT_REPORT_DIR, LEVEL_CHOICES, ConfigError, RawConfig, parse_components, parse_levels, read_config

if TYPE_CHECKING:
    from .capture import TestState
    from .classify import Pattern
    from .config import AutohealConfig
    from .inflight import InflightMarker

LEVEL_HELP = f"levels to run: {', '.join(LEVEL_CHOICES)} (comma list; comprehensive includes smoke)"
CATEGORY_HELP = "only tests of these categories (comma list), e.g. MCP tool categories such as pdf_tools"
COMPONENT_HELP = f"only these components (comma list): {', '.join(COMPONENTS)}"
DIR_HELP = "directory for failure records, run.json and the health report (default: autoheal-reports)"
CONFIG_HELP = "file holding the target configuration (default: [tool.autoheal] of the rootdir's pyproject.toml)"
DISABLE_HELP = "switch pytest-autoheal off for this run (no records, no report)"
BROWSER_HELP = "browser driver for browser-level tests: playwright (default) or selenium"

STATE_KEY = pytest.StashKey["AutohealSession"]()
# Any of these given (on the command line or as the ini twin) asks for the plugin; so does a [tool.autoheal] table.
ASKING_OPTIONS = ("autoheal_level", "autoheal_category", "autoheal_component", "autoheal_dir", "autoheal_config", "autoheal_browser")

MARKERS = {
    "level": "level(name): the autoheal level of a test: smoke, comprehensive, stress or browser",
    "component": "component(name): the platform component a test checks: cli, mcp_tools, js_sdk or dashboard",
    "category": "category(name): the category of the checked target (e.g. an MCP tool category)",
    "target": "target(name): the checked target (tool, command, page or file), recorded with failures",
}
META_FIELDS = ("level", "component", "category", "target")
_MARKER_NAMES = frozenset(META_FIELDS)

# The failure output carries the record's grouping so a raw CI log can be read back exactly.
LOG_SECTION = "autoheal"


def log_line(record: dict[str, Any]) -> str:
    import json

    from .redact import redact

    fp = record["fingerprint"]
    cls = record["classification"]
    data = {"record": record["id"], "fingerprint": fp["hash"], "algorithm": fp["algorithm"], "class": cls["class"]}
    data.update(confidence=cls["confidence"], type=record["error"]["type"], values=fp["values"])
    if fp.get("legacy"):
        data["legacy"] = fp["legacy"]
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
    parser.addini("autoheal_browser", BROWSER_HELP, default="")


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
        raw = _raw_config(config)
        if _asked(config, raw):
            _start(config, AutohealSession.from_config(config, raw))
            _bundle_suites(config)
        else:
            # Nothing asked for the plugin (yet): it writes and prints nothing unless the selected tests carry its markers.
            dormant = Dormant(config, raw)
            config.pluginmanager.register(dormant, "autoheal-dormant")
            if config.pluginmanager.hasplugin("xdist"):
                config.pluginmanager.register(DormantXdist(dormant), "autoheal-dormant-xdist")
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _raw_config(config: pytest.Config) -> RawConfig:
    workerinput = getattr(config, "workerinput", None)
    if workerinput and workerinput.get("autoheal_run"):
        # Workers read the file the controller read: their rootdir can differ (e.g. a path-like option value).
        source = workerinput.get("autoheal_config_file")
        return read_config(Path(source).parent, source) if source else RawConfig(None, None, "tool.autoheal", config.rootpath)
    return read_config(config.rootpath, _opt(config, "autoheal_config") or None)


def _asked(config: pytest.Config, raw: RawConfig) -> bool:
    """Whether this run asked for the plugin: a ``[tool.autoheal]`` table, or one of its options or ini twins."""
    if raw.data is not None or getattr(config, "workerinput", {}).get("autoheal_run"):
        return True
    return any(_opt(config, name) for name in ASKING_OPTIONS)


def _start(config: pytest.Config, session: AutohealSession) -> AutohealSession:
    config.stash[STATE_KEY] = session
    config.pluginmanager.register(session, "autoheal-session")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(session), "autoheal-xdist")
    if config.pluginmanager.hasplugin("html") and getattr(config.option, "htmlpath", None):
        from .report import html_plugin

        html_plugin.register(config, session)
    return session


def _bundle_suites(config: pytest.Config) -> None:
    """A run that names a level or component, and no test paths, also collects the bundled suites of the configured targets."""
    session = config.stash[STATE_KEY]
    if session._cfg is None or not (session.levels or session.components or session.categories):
        return
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # explicit test paths keep pytest's usual meaning
    components = [c for c in session._cfg.components() if not session.components or c in session.components]
    if not components:
        return
    from .bundle import SuiteCollection, suite_dirs

    suites = suite_dirs(components)
    if suites:
        config.pluginmanager.register(SuiteCollection(suites), "autoheal-suites")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(STATE_KEY, None)
    if session is not None:
        session.close()
    import sys

    # xdist workers may end without running atexit handlers: the targets' sandboxes go here.
    runner = sys.modules.get("pytest_autoheal.runner")
    if runner is not None:
        runner.remove_sandboxes()


def autoheal_session(config: pytest.Config) -> AutohealSession | None:
    """The running session's state, or None when the plugin is switched off."""
    return config.stash.get(STATE_KEY, None)


@pytest.fixture
def autoheal_record(request: pytest.FixtureRequest) -> TestState:
    """Add extras, metrics and attachments to this test's failure record and the run summary."""
    from .capture import TestState

    session = autoheal_session(request.config)
    if session is None:
        return TestState()
    return session.states.setdefault(request.node.nodeid, TestState())


@pytest.fixture(scope="session")
def autoheal_config(request: pytest.FixtureRequest) -> AutohealConfig:
    """The validated ``[tool.autoheal]`` configuration of this run."""
    session = autoheal_session(request.config)
    if session is not None:
        return session.cfg
    dormant = request.config.pluginmanager.get_plugin("autoheal-dormant")
    if dormant is None:
        pytest.skip("pytest-autoheal is switched off (--autoheal-disable)")
    from .config import AutohealConfig

    # A run that did not ask for the plugin has no table: the defaults.
    return AutohealConfig(base_dir=dormant.raw.base_dir, source="<defaults>")


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
        self._in_app = [str((raw.base_dir / p).resolve()) for p in table.get("in_app", [])]
        self._rootdir = getattr(config, "workerinput", {}).get("autoheal_rootdir") or config.rootpath
        self._pattern_specs = table.get("classify", {}).get("patterns", [])
        self._roots: list[str] | None = None
        self._patterns: list[Pattern] | None = None
        level = _opt(config, "autoheal_level") or table.get("level")
        self.levels = parse_levels(level) if level else ()
        comp = _opt(config, "autoheal_component")
        self.components = parse_components(comp) if comp else ()
        cat = _opt(config, "autoheal_category")
        self.categories = tuple(dict.fromkeys(c.strip() for c in cat.split(",") if c.strip())) if cat else ()
        # What the controller's summary needs about tests it did not run itself (xdist workers send theirs).
        self.meta: dict[str, dict[str, str]] = {}
        self.states: dict[str, TestState] = {}
        self.worker_states: dict[str, dict[str, Any]] = {}
        self.worker_trail: list[dict[str, Any]] = []
        self.known: dict[str, dict[str, Any]] = {}
        self.started_at: str | None = None
        self.usage_error: str | None = None
        self.run_data: dict[str, Any] | None = None
        self.capture: Capture | None = None
        self.collector: ReportCollector | None = None
        self.timeout_method = str(_safe_ini(config, "timeout_method") or "")
        self.timeout_default = _safe_ini(config, "timeout")

    @property
    def cfg(self) -> AutohealConfig:
        """The validated configuration (built on first use when the project has no table)."""
        if self._cfg is None:
            from .config import AutohealConfig

            self._cfg = AutohealConfig(base_dir=self._raw.base_dir, source=str(self._raw.path or "<defaults>"))
        return self._cfg

    @property
    def roots(self) -> list[str]:
        """Source roots: frames under them are the project's own (in-app)."""
        if self._roots is None:
            from .frames import default_roots

            self._roots = default_roots(self._rootdir) + self._in_app
        return self._roots

    @property
    def patterns(self) -> list[Pattern]:
        """Classification patterns: the configured ones first, then the built-in table (compiled on first use)."""
        if self._patterns is None:
            from .classify import compile_patterns

            self._patterns = compile_patterns(self._pattern_specs)
        return self._patterns

    @classmethod
    def from_config(cls, config: pytest.Config, raw: RawConfig) -> AutohealSession:
        workerinput = getattr(config, "workerinput", None)
        cfg = None
        if raw.data is not None:
            from .config import validate_config

            assert raw.path is not None
            cfg = validate_config(raw.data, raw.path, raw.prefix)
        if workerinput and workerinput.get("autoheal_run"):
            return cls(config, raw, cfg, Path(workerinput["autoheal_dir"]).resolve(), dict(workerinput["autoheal_run"]))
        from .context import run_context

        return cls(config, raw, cfg, _report_dir(config, raw), run_context(cwd=config.rootpath))

    def _prepare_dir(self) -> None:
        import shutil

        from . import store
        from .context import utcnow

        self.started_at = utcnow()
        if _has_files(self.report_dir / store.INFLIGHT):
            from .capture import recover_inflight

            recover_inflight(self.report_dir, self.patterns)
        if store.unpublished_run(self.report_dir):
            from .report import publish

            publish.archive_previous(self.report_dir, self._cfg)
        for name in (store.RECORDS, store.INFLIGHT):
            shutil.rmtree(self.report_dir / name, ignore_errors=True)
        store.records_dir(self.report_dir).mkdir(parents=True, exist_ok=True)

    def _prepare_dir_once(self) -> None:
        """Workers that woke up on their own markers: the first one prepares the directory for the whole run."""
        import fcntl

        self.report_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.report_dir / ".prepared"
        with open(self.report_dir / ".prepare.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if stamp.exists() and stamp.read_text("utf-8") == self.run["id"]:
                return
            self._prepare_dir()
            stamp.write_text(self.run["id"], "utf-8")

    def close(self) -> None:
        if self.capture is not None:
            self.capture.close()

    def pytest_unconfigure(self) -> None:
        # pytest collects garbage several times while it shuts down: leave it less to walk.
        self.meta, self.states, self.worker_states, self.known, self.worker_trail = {}, {}, {}, {}, []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Not at configure time (pytest --help configures too), and before xdist starts its workers.
        self.begin()

    def begin(self) -> None:
        """Prepare the report directory (once per run) and, in a process that runs tests, start capturing."""
        if self.is_controller:
            self._prepare_dir()
        elif self.config.workerinput.get("autoheal_pending_run"):  # type: ignore[attr-defined]
            self._prepare_dir_once()
        pm = self.config.pluginmanager
        # Under xdist the controller runs no test: its workers capture, it summarises.
        if not pm.has_plugin("dsession"):
            self.capture = Capture(self)
            pm.register(self.capture, "autoheal-capture")
        if self.is_controller and pm.get_plugin("terminalreporter") is None:
            # Without the terminal reporter there is no list of reports to read at the end: keep one.
            self.collector = ReportCollector()
            pm.register(self.collector, "autoheal-reports")

    # Selection

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
        # One pass over the markers serves selection, the summary and the in-flight marker.
        self._index(items)
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
        meta = self.meta
        if self.categories:
            known = {m for it in items if (m := meta.get(it.nodeid, {}).get("category"))}
            unknown = [c for c in self.categories if c not in known]
            if unknown:
                valid = ", ".join(sorted(known)) or "none (no collected test declares a category)"
                raise pytest.UsageError(f"--category: unknown category {', '.join(map(repr, unknown))}; valid categories: {valid}")
        for name, wanted in (("--autoheal-level", self.levels), ("--component", self.components), ("--category", self.categories)):
            if not wanted:
                continue
            key = {"--autoheal-level": "level", "--component": "component", "--category": "category"}[name]
            keep = [it for it in selected if meta.get(it.nodeid, {}).get(key) in wanted]
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

    def _index(self, items: list[pytest.Item]) -> None:
        """One pass over the collected tests' markers: what selection, the summary and the in-flight marker need."""
        meta = self.meta
        fields = self.capture.fields if self.capture is not None else {}
        wanted = {*META_FIELDS, "timeout"}
        for item in items:
            found: dict[str, Any] | None = None
            # item.iter_markers(), closest node first, without its generator chain (this runs per test).
            node: Any = item
            while node is not None:
                for marker in node.own_markers:
                    if marker.name in wanted:
                        if found is None:
                            found = {}
                        found.setdefault(marker.name, marker)
                node = node.parent
            if found is None:
                continue
            values = {k: v for k in META_FIELDS if (v := _marker_arg(found.get(k))) is not None}
            if values:
                meta[item.nodeid] = values
            limit, method = _timeout(found.get("timeout"), self.timeout_default, self.timeout_method)
            fields[item.nodeid] = _marker_fields(values, limit, method)

    # Summary (on the controller)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.close()
        if not self.is_controller:
            # Sent with the worker's "finished" event: what the controller cannot see on the reports.
            out = self.config.workeroutput  # type: ignore[attr-defined]
            out["autoheal_meta"] = self.meta
            out["autoheal_states"] = self._plain_states()
            out["autoheal_trail"] = self._outside_trail()
            return
        if self.usage_error:
            session.exitstatus = exitstatus = pytest.ExitCode.USAGE_ERROR
        import gc

        # The summary allocates a lot, briefly. Frozen, the session's heap (items, reports, fixtures)
        # is left out of the collections those allocations trigger; it is unfrozen below. Someone
        # else's frozen objects are left as they are.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            data = self._finish(int(exitstatus))
            # The terminal summary needs only these; the per-test list is not kept alive.
            self.run_data = {k: data.get(k) for k in ("run", "counts", "record_ids", "clusters", "warnings")}
        except Exception as exc:
            warnings.warn(AutohealWarning(f"could not write the run summary or report: {exc!r}"), stacklevel=1)
        finally:
            if freeze:
                gc.unfreeze()

    def _finish(self, exit_status: int) -> dict[str, Any]:
        from . import store
        from .summary import RunSummary

        reports = self._reports()
        for report in reports:
            if report.outcome == "failed" and report.when == "???":
                self._record_crash(report)
        if _has_files(self.report_dir / store.INFLIGHT):
            from .capture import recover_inflight

            recover_inflight(self.report_dir, self.patterns)
        records = store.load_records([self.report_dir]) if _has_files(store.records_dir(self.report_dir)) else []
        states = {**self.worker_states, **self._plain_states()}
        summary = RunSummary(
            self.run, levels=self.levels, components=self.components, categories=self.categories, started_at=self.started_at
        )
        summary.add_reports(reports, self.meta, states)
        summary.outside_trail = [*self.worker_trail, *self._outside_trail()]
        for rec in summary.add_records(records):
            # Failed, then passed on a rerun: flaky, not a bug.
            from .record import write_record

            write_record(self.report_dir, rec)
        _attach_log_sections(reports, records, str(self.run.get("id", "")))
        data = summary.write(self.report_dir, exit_status)
        from .report import publish

        publish.publish_session(self.report_dir, data, self._cfg, self.config, records=records)
        return data

    def _reports(self) -> list[Any]:
        """Every test and collection report of the run, as the terminal reporter kept them."""
        if self.collector is not None:
            return self.collector.reports
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        stats = getattr(reporter, "stats", None) or {}
        reports: list[Any] = []
        for key, reps in stats.items():
            if key in ("", "passed"):
                # Passing phases: test reports only, and most of the run's reports.
                reports += reps
            elif key not in ("warnings", "deselected"):
                reports += [r for r in reps if isinstance(r, (pytest.TestReport, pytest.CollectReport))]
        return reports

    def _plain_states(self) -> dict[str, dict[str, Any]]:
        out = {}
        for nodeid, state in self.states.items():
            data = {k: v for k in ("target", "category") if (v := getattr(state, k))}
            if state.metrics:
                data["metrics"] = _plain(state.metrics)
            if state.trail:
                data["trail"] = _plain(state.trail)
            if state.not_called:
                data["not_called"] = state.not_called
            if data:
                out[nodeid] = data
        return out

    def _outside_trail(self) -> list[dict[str, Any]]:
        """Calls made outside any test (CLI subcommand discovery at collection), if the trail module was used."""
        import sys

        module = sys.modules.get("pytest_autoheal.trail")
        return _plain(module.OUTSIDE_TESTS) if module is not None and module.OUTSIDE_TESTS else []

    def _record_crash(self, report: pytest.TestReport) -> None:
        from . import store
        from .capture import read_marker, record_from_marker
        from .record import write_record

        worker = _crashed_worker(report)
        marker = read_marker(self.report_dir / store.INFLIGHT / f"{worker}.json") if worker else None
        if not marker or marker.get("nodeid") != report.nodeid:
            marker = {"nodeid": report.nodeid, "worker": worker, "run": self.run, **self.meta.get(report.nodeid, {})}
        marker = {**marker, "run": self.run, "signal": None}
        record = record_from_marker(marker, reason=_longrepr_text(report).strip() or "worker crashed", patterns=self.patterns)
        if not store.record_path(self.report_dir, record["id"]).exists():
            write_record(self.report_dir, record)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.is_controller:
            return
        if self.usage_error:
            terminalreporter.write_line(f"ERROR: {self.usage_error}", red=True)
        if self.run_data is None:
            return
        try:
            from . import store
            from .redact import redact
            from .summary import terminal_lines

            terminalreporter.section("autoheal")
            for line in terminal_lines(self.run_data, self.report_dir):
                terminalreporter.write_line(redact(line))
            health = self.report_dir / store.HEALTH_FILE
            if health.exists():
                terminalreporter.write_line(f"health report: {health}")
        except Exception as exc:
            terminalreporter.write_line(f"autoheal: could not print the summary: {exc!r}")


class Capture:
    """The hooks of a process that runs tests: the in-flight marker and failure records."""

    def __init__(self, session: AutohealSession) -> None:
        self.session = session
        self.marker: InflightMarker | None = None
        # Per-test marker fields of tests with autoheal or timeout markers; the rest share the default.
        self.fields: dict[str, str] = {}
        limit, method = _timeout(None, session.timeout_default, session.timeout_method)
        self.default_fields = _marker_fields({}, limit, method)
        self.broken = False

    def _open_marker(self) -> InflightMarker | None:
        from .inflight import InflightMarker

        s = self.session
        try:
            self.marker = InflightMarker(
                s.report_dir,
                s.worker or f"main-{os.getpid()}",
                static={"pid": os.getpid(), "host": os.uname().nodename, "worker": s.worker, "run": s.run},
            )
        except OSError as exc:
            self.broken = True
            warnings.warn(AutohealWarning(f"could not write the in-flight marker: {exc!r}"), stacklevel=1)
        return self.marker

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        marker = self.marker
        if marker is None and (self.broken or (marker := self._open_marker()) is None):
            return
        try:
            marker.start_test(nodeid, self.fields.get(nodeid, self.default_fields), time.time())
        except OSError:
            pass

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        if self.marker is not None:
            try:
                self.marker.clear()
            except OSError:
                pass

    def close(self) -> None:
        if self.marker is not None:
            self.marker.close()
            self.marker = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        # pytest calls this for failed phases and collection errors only (not skips, not xfails).
        if not report.failed or call.excinfo is None:
            return
        try:
            if isinstance(report, pytest.CollectReport):
                self._collect_error(node, call, report)
            else:
                self._test_failure(node, call, report)
        except Exception as exc:
            _warn(node, f"could not write the failure record: {exc!r}")

    def _test_failure(self, item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> None:
        from .capture import TestMeta, merge_occurrence, test_failure_records

        s = self.session
        nodeid = item.nodeid
        attempt = int(getattr(item, "execution_count", 1) or 1)
        records = test_failure_records(
            call.excinfo.value,  # type: ignore[union-attr]
            nodeid=nodeid,
            phase=report.when,
            meta=TestMeta(**s.meta.get(nodeid, {})),
            state=s.states.get(nodeid),
            captured={"stdout": report.capstdout, "stderr": report.capstderr, "log": report.caplog},
            longrepr=_longrepr_text(report),
            run=s.run,
            patterns=s.patterns,
            roots=s.roots,
            duration=report.duration,
            outcome="failed" if report.when == "call" else "error",
            worker=s.worker,
            reruns=attempt - 1,
        )
        for i, (record, shared) in enumerate(records):
            if shared and record["id"] in s.known:
                # The target as a whole failed (it did not start): recorded once, however many tests need it.
                records[i] = (s.known[record["id"]], shared)
                continue
            records[i] = (merge_occurrence(s.report_dir, record, s.known), shared)
        # In one process this is the report the terminal prints; under xdist the controller adds it at the end.
        report.sections.append((LOG_SECTION, log_line(records[0][0])))

    def _collect_error(self, collector: pytest.Collector, call: pytest.CallInfo[Any], report: pytest.CollectReport) -> None:
        from .capture import TestMeta, error_from_exception, make_test_record, merge_occurrence

        s = self.session
        error, facts = error_from_exception(call.excinfo.value, s.roots, _longrepr_text(report))  # type: ignore[union-attr]
        record = make_test_record(
            nodeid=report.nodeid or str(collector.path),
            phase="collect",
            meta=TestMeta(),
            error=error,
            facts=facts,
            run=s.run,
            patterns=s.patterns,
            duration=None,
            outcome="error",
            worker=s.worker,
        )
        merge_occurrence(s.report_dir, record, s.known)


class ReportCollector:
    """Keeps the run's reports when no terminal reporter does (``-p no:terminal``)."""

    def __init__(self) -> None:
        self.reports: list[Any] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.reports.append(report)


class Dormant:
    """The plugin in a run that did not ask for it: one look at the selected tests' markers; nothing written, nothing printed."""

    def __init__(self, config: pytest.Config, raw: RawConfig) -> None:
        self.config = config
        self.raw = raw

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not _carries_markers(items):
            return
        # The selected tests are autoheal tests: the run is recorded as if it had asked.
        workerinput = getattr(config, "workerinput", None)
        if workerinput is None:
            woken = AutohealSession.from_config(config, self.raw)
        elif workerinput.get("autoheal_pending_run"):
            woken = AutohealSession(config, self.raw, None, Path(workerinput["autoheal_dir"]), dict(workerinput["autoheal_pending_run"]))
            config.workeroutput["autoheal_woke"] = True  # type: ignore[attr-defined]
        else:
            return
        _start(config, woken)
        woken.begin()
        woken.pytest_collection_modifyitems(session, config, items)


class DormantXdist:
    """xdist's side of a dormant run: workers get what they need to wake up, and the controller wakes when one did."""

    def __init__(self, dormant: Dormant) -> None:
        self.dormant = dormant
        self.pending: dict[str, Any] | None = None
        self.woke = False

    def pytest_configure_node(self, node: Any) -> None:
        if self.pending is None:
            from .context import run_context, utcnow

            config = self.dormant.config
            self.pending = {
                "autoheal_pending_run": run_context(cwd=config.rootpath),
                "autoheal_dir": str(_report_dir(config, self.dormant.raw)),
                "autoheal_rootdir": str(config.rootpath),
                "autoheal_started_at": utcnow(),
            }
        node.workerinput.update(self.pending)

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if self.woke or self.pending is None or not (getattr(node, "workeroutput", None) or {}).get("autoheal_woke"):
            return
        self.woke = True
        config, pending = self.dormant.config, self.pending
        session = AutohealSession(config, self.dormant.raw, None, Path(pending["autoheal_dir"]), dict(pending["autoheal_pending_run"]))
        session.started_at = pending["autoheal_started_at"]
        _start(config, session)
        # Registered from inside this hook call, the session's own xdist hooks see the next nodes; this one is handed over.
        config.pluginmanager.get_plugin("autoheal-xdist").pytest_testnodedown(node, error)


def _carries_markers(items: list[pytest.Item]) -> bool:
    """Whether any selected test, or a class, module or directory around it, has a level/component/category/target marker."""
    names = _MARKER_NAMES
    # Plain loops, no generator per test: this runs in every run of every project that has the plugin installed.
    for item in items:
        for mark in item.own_markers:
            if mark.name in names:
                return True
    todo = {item.parent for item in items}
    seen: set[Any] = set()
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        for mark in node.own_markers:
            if mark.name in names:
                return True
        todo.add(node.parent)
    return False


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
        out = getattr(node, "workeroutput", None) or {}
        if out.get("autoheal_usage_error"):
            self.session.usage_error = out["autoheal_usage_error"]
        # Every worker collects every test, so one surviving worker is enough for the markers.
        for nodeid, values in (out.get("autoheal_meta") or {}).items():
            self.session.meta.setdefault(nodeid, values)
        self.session.worker_states.update(out.get("autoheal_states") or {})
        self.session.worker_trail.extend(out.get("autoheal_trail") or [])


def _attach_log_sections(reports: list[Any], records: list[dict[str, Any]], run_id: str) -> None:
    """Under xdist a worker's failure reached the controller before its record existed: add the section now."""
    if not records:
        return
    failed = [r for r in reports if r.failed and r.when != "???" and not any(name == LOG_SECTION for name, _ in r.sections)]
    if not failed:
        return
    from .record import record_id

    by_id = {rec.get("id"): rec for rec in records}
    for report in failed:
        # A test's own record (not the further failures it found) has the unsalted id.
        rec = by_id.get(record_id(run_id, report.nodeid, report.when))
        if rec is not None and rec.get("fingerprint"):
            report.sections.append((LOG_SECTION, log_line(rec)))


def _report_dir(config: pytest.Config, raw: RawConfig) -> Path:
    given = _opt(config, "autoheal_dir")
    if given:
        return (Path(config.invocation_params.dir) / given).resolve()
    return (raw.base_dir / (raw.data or {}).get("report_dir", DEFAULT_REPORT_DIR)).resolve()


def _has_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as it:
            return any(True for _ in it)
    except OSError:
        return False


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


def _marker_fields(meta: dict[str, str], limit: float | None, method: str | None) -> str:
    # Hand-built JSON, built once per test at collection: the marker is rewritten for every test.
    parts = [f'"{k}":{encode_basestring(v)}' for k, v in meta.items()]
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
    import json

    return json.loads(json.dumps(value, default=str))


def _warn(node: Any, message: str) -> None:
    try:
        node.warn(AutohealWarning(message))
    except Exception:
        warnings.warn(AutohealWarning(message), stacklevel=1)
