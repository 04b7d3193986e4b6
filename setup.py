"""Packaging beyond what pyproject.toml can say: the monitoring suites ship inside the wheel.

``suites/<component>/`` (the source, kept at the top of the repository) becomes the package
``pytest_autoheal.suites.<component>``. The built copy gets empty ``__init__.py`` files so
pytest imports an installed suite under that package name and never confuses its modules
(``test_cli.py``) with same-named test files of the project that runs it.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
SUITES = sorted(p.name for p in (HERE / "suites").iterdir() if p.is_dir() and (p / "conftest.py").is_file())
SUITE_PACKAGES = ["pytest_autoheal.suites", *(f"pytest_autoheal.suites.{name}" for name in SUITES)]


class BuildPyWithSuites(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            # An editable install reads the suites from the checkout, as the repository's own runs do.
            return
        for package in SUITE_PACKAGES:
            init = Path(self.build_lib, *package.split("."), "__init__.py")
            init.parent.mkdir(parents=True, exist_ok=True)
            init.touch()


setup(
    packages=[*find_namespace_packages(include=["pytest_autoheal*"]), *SUITE_PACKAGES],
    package_dir={"pytest_autoheal.suites": "suites"},
    cmdclass={"build_py": BuildPyWithSuites},
)
