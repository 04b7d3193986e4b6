"""Count the words, lines and characters of a text."""

from typing import Any


def text_word_count(text: str) -> dict[str, Any]:
    return {"words": len(text.split()), "lines": len(text.splitlines()), "characters": len(text)}
