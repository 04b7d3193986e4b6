"""pytest-html integration: failure rows link their record and show attached screenshots; the summary links the health report.

Registered by the plugin only when pytest-html is active; its hooks are optional so the module
also loads without pytest-html.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .. import store

IMAGE_EXTRAS = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".gif": "gif"}
# pytest-html embeds images in its page; a huge attachment would make that page unusable.
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class HtmlReportHooks:
    def __init__(self, config: pytest.Config, session: Any) -> None:
        self.config = config
        self.session = session
        self.report_dir = session.report_dir

    def _html_dir(self) -> Path:
        htmlpath = getattr(self.config.option, "htmlpath", None) or "report.html"
        path = Path(os.path.expandvars(htmlpath)).expanduser()
        if not path.is_absolute():
            path = Path(self.config.invocation_params.dir) / path
        return path.parent

    def _href(self, target: Path) -> str:
        try:
            return Path(os.path.relpath(target, self._html_dir())).as_posix()
        except ValueError:
            return target.resolve().as_uri()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        report = yield
        try:
            self._add_extras(item, call, report)
        except Exception as exc:
            from ..plugin import AutohealWarning

            item.warn(AutohealWarning(f"could not add the failure record to the HTML report: {exc!r}"))
        return report

    def _add_extras(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        if not report.failed or call.excinfo is None or hasattr(report, "wasxfail"):
            return
        from pytest_html import extras

        from ..record import record_id

        added = list(getattr(report, "extras", None) or [])
        # The record is written right after this report is logged; its id is known already.
        rid = record_id(str(self.session.run.get("id", "")), item.nodeid, report.when)
        added.append(extras.url(self._href(store.record_path(self.report_dir, rid)), name=f"autoheal record {rid}"))
        state = self.session.states.get(item.nodeid)
        for name, value in (state.attachments if state is not None else {}).items():
            path = Path(value)
            kind = IMAGE_EXTRAS.get(path.suffix.lower())
            if kind is None or not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
                continue
            content = base64.b64encode(path.read_bytes()).decode("ascii")
            added.append(getattr(extras, kind)(content, name=name))
        report.extras = added

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session) -> None:
        health = self.report_dir / store.HEALTH_FILE
        href = html.escape(self._href(health), quote=True)
        prefix.append(f'<p class="autoheal">Health report and failure clusters: <a href="{href}">{html.escape(health.name)}</a></p>')


def register(config: pytest.Config, session: Any) -> None:
    """Called from the plugin's ``pytest_configure`` when pytest-html is active and writes a report (``--html``)."""
    if not getattr(config.option, "htmlpath", None):
        return
    config.pluginmanager.register(HtmlReportHooks(config, session), "autoheal-html")
