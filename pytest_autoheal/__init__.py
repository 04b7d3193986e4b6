"""pytest-autoheal: monitor a platform with pytest, fingerprint its failures, heal them."""

from __future__ import annotations

from typing import Any

from .classify import Classification, classify
from .errors import TargetFailure
from .fingerprint import ALGORITHM, fingerprint, message_template
from .record import SCHEMA_ID, build_record, validation_errors, write_record
from .redact import redact

__version__ = "0.1.0"

_LAZY = {
    "ErrorReporter": "pytest_autoheal.reporters.python",
    "CLIErrorReporter": "pytest_autoheal.reporters.python",
    "install_cli_error_handler": "pytest_autoheal.reporters.python",
}


def __getattr__(name: str) -> Any:
    # The runtime reporters are imported on first use so the plugin stays light.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


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
