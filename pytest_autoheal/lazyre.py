"""Regular expressions compiled on first use.

pytest imports the plugin at every start; most runs never fingerprint, classify or redact
anything, so the pattern tables of those modules should not cost start-up time.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """Stands in for ``re.compile(pattern, flags)``; compiles when first used."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def case_sensitive(self) -> bool:
        return not (self._flags & re.IGNORECASE or self._pattern.startswith("(?i)"))

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        # Only reached for the methods of a compiled pattern (search, sub, match, ...).
        return getattr(self.compiled, name)


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
