"""Wrap a text to lines of at most `width` characters."""

import textwrap

from .._common import ToolError


def text_wrap(text: str, width: int = 40) -> list[str]:
    if width < 1:
        raise ToolError("width must be at least 1")
    return textwrap.wrap(text, width=width)
