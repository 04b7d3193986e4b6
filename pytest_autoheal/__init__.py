"""pytest-autoheal: monitor a platform with pytest, fingerprint its failures, heal them."""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Every public name loads its module on first use: pytest imports this package at start-up
# for the plugin, and a run without failures should not pay for the analysis modules.
_LAZY = {
    "ALGORITHM": "pytest_autoheal.fingerprint",
    "fingerprint": "pytest_autoheal.fingerprint",
    "message_template": "pytest_autoheal.fingerprint",
    "Classification": "pytest_autoheal.classify",
    "classify": "pytest_autoheal.classify",
    "redact": "pytest_autoheal.redact",
    "TargetFailure": "pytest_autoheal.errors",
    "SCHEMA_ID": "pytest_autoheal.record",
    "build_record": "pytest_autoheal.record",
    "validation_errors": "pytest_autoheal.record",
    "write_record": "pytest_autoheal.record",
    "ErrorReporter": "pytest_autoheal.reporters.python",
    "CLIErrorReporter": "pytest_autoheal.reporters.python",
    "install_cli_error_handler": "pytest_autoheal.reporters.python",
}

if TYPE_CHECKING:
    from .classify import Classification, classify
    from .errors import TargetFailure
    from .fingerprint import ALGORITHM, fingerprint, message_template
    from .record import SCHEMA_ID, build_record, validation_errors, write_record
    from .redact import redact
    from .reporters.python import CLIErrorReporter, ErrorReporter, install_cli_error_handler


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_autoheal' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _function_named_like_its_module(name: str) -> property:
    # Importing the submodule makes the import system set the package attribute to the module;
    # the public name stays the function.
    def get(package: types.ModuleType) -> Any:
        return getattr(importlib.import_module(_LAZY[name]), name)

    def ignore_module(package: types.ModuleType, value: Any) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError(f"pytest_autoheal.{name} is read-only")

    return property(get, ignore_module)


class _Package(types.ModuleType):
    fingerprint = _function_named_like_its_module("fingerprint")
    classify = _function_named_like_its_module("classify")
    redact = _function_named_like_its_module("redact")


sys.modules[__name__].__class__ = _Package

__all__ = [
    "ALGORITHM",
    "SCHEMA_ID",
    "CLIErrorReporter",
    "Classification",
    "ErrorReporter",
    "TargetFailure",
    "__version__",
    "build_record",
    "classify",
    "fingerprint",
    "install_cli_error_handler",
    "message_template",
    "redact",
    "validation_errors",
    "write_record",
]
