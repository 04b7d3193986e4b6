"""The monitoring suites that ship with the plugin, collected in the user's own repository.

The wheel carries ``suites/<component>/`` of this repository as ``pytest_autoheal/suites/<component>/``
(see ``setup.py``); an editable install or a checkout reads them from ``suites/``. When a run asks
for a level or component and names no test paths, the suites of the configured components join
the session's collection beside the user's own tests, with the user's rootdir and ini. Their ids
read ``suites/<component>/<file>::<test>[<param>]`` wherever the package is installed, so
``-k``, ``--deselect``, ``--lf`` and xdist workers see the same ids on every machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .settings import COMPONENTS

ID_PREFIX = "suites"


def suites_root() -> Path | None:
    """Where the suites are: inside the installed package, or in the checkout of an editable install."""
    package = Path(__file__).resolve().parent
    installed = package / "suites"
    if (installed / "__init__.py").is_file():
        return installed
    checkout = package.parent
    # setup.py marks this project's checkout; an installed package's parent (site-packages) has none.
    if (checkout / "setup.py").is_file() and (checkout / "suites").is_dir():
        return checkout / "suites"
    return None


def suite_dirs(components: Iterable[str]) -> list[tuple[str, Path]]:
    """(component, directory) of each bundled suite among ``components``, in the order of COMPONENTS."""
    root = suites_root()
    if root is None:
        return []
    wanted = set(components)
    return [(name, root / name) for name in COMPONENTS if name in wanted and (root / name / "conftest.py").is_file()]


def not_covered(suites: Sequence[tuple[str, Path]], config: pytest.Config) -> list[tuple[str, Path]]:
    """The suites that the run's own collection paths do not already reach, so none is collected twice.

    A suite under a collection path counts as reached unless pytest would skip a directory on the
    way (a virtualenv, ``norecursedirs``, ``collect_ignore``): that is where an installed copy lives.
    """
    base = Path(config.invocation_params.dir)
    roots = [(base / str(arg).split("::", 1)[0]).resolve() for arg in config.args]
    out = []
    for name, folder in suites:
        folder = folder.resolve()
        if not any(_reaches(root, folder, config) for root in roots):
            out.append((name, folder))
    return out


def _reaches(root: Path, folder: Path, config: pytest.Config) -> bool:
    if root == folder or root.is_relative_to(folder):
        return True
    if not folder.is_relative_to(root):
        return False
    between = [p for p in (folder, *folder.parents) if p != root and p.is_relative_to(root)]
    return not any(config.hook.pytest_ignore_collect(collection_path=p, config=config) for p in between)


class BundledSuite(pytest.Directory):
    """One bundled suite, collected under the id ``suites/<component>`` wherever it is installed."""

    def collect(self) -> Iterator[pytest.Module]:
        for path in sorted(self.path.glob("test_*.py")):
            yield BundledModule.from_parent(self, path=path, nodeid=f"{self.nodeid}/{path.name}")


class BundledModule(pytest.Module):
    """A suite module: its tests are named ``test_*`` whatever the user's own ``python_functions`` say."""

    def funcnamefilter(self, name: str) -> bool:
        return name.startswith("test")

    def classnamefilter(self, name: str) -> bool:
        return name.startswith("Test")


class SuiteCollection:
    """Registered only in a run that asks for the suites: adds them to the session's collection."""

    def __init__(self, suites: Sequence[tuple[str, Path]]) -> None:
        self.suites = list(suites)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            suites = not_covered(self.suites, collector.config)
            added = [BundledSuite.from_parent(collector, path=path, nodeid=f"{ID_PREFIX}/{name}") for name, path in suites]
            report.result.extend(added)
            _keep_last_failed(collector.config, added)
        return report


def _keep_last_failed(config: pytest.Config, suites: list[BundledSuite]) -> None:
    """Under ``--lf``, pytest finds a failed test's file at ``rootdir/<id path>``; point it at the installed file."""
    lf = config.pluginmanager.get_plugin("lfplugin")
    paths = getattr(lf, "_last_failed_paths", None)
    if not isinstance(paths, set):
        return
    failed = {str(nodeid).split("::", 1)[0] for nodeid in getattr(lf, "lastfailed", {})}
    for suite in suites:
        prefix = f"{suite.nodeid}/"
        for id_path in failed:
            if id_path.startswith(prefix):
                path = suite.path / id_path[len(prefix) :]
                paths.update((path, *(p for p in path.parents if p.is_relative_to(suite.path))))
