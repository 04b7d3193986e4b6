"""A third-party dashboard: datasette (own venv) serving a SQLite file made here, configured only through config."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.thirdparty import python_venv

from .conftest import run_suite


@pytest.fixture(scope="module")
def datasette_bin() -> Path:
    return python_venv("datasette", ["datasette==0.65.5"]) / "datasette"


@pytest.mark.parametrize("needs_browser", ["playwright"], indirect=True)
def test_datasette_passes_smoke_comprehensive_and_browser(pytester: pytest.Pytester, datasette_bin: Path, needs_browser: str) -> None:
    db = pytester.path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table items (id integer primary key, name text, price real)")
        conn.executemany("insert into items (name, price) values (?, ?)", [("pen", 1.5), ("book", 12.0), ("lamp", 30.25)])
    cfg = {
        "command": [str(datasette_bin), "serve", str(db), "--host", "127.0.0.1", "--port", "{port}"],
        "ready_path": "/-/versions.json",
        "pages": ["/", "/shop", "/shop/items"],
        "api": ["/shop.json", "/shop/items.json", "/-/versions.json"],
        "crawl": {"max_pages": 25, "max_depth": 2},
    }
    result, records, _ = run_suite(pytester, cfg, "--autoheal-level=comprehensive,browser")
    assert records == [], [r["error"]["message"] for r in records]
    result.assert_outcomes(passed=15)
