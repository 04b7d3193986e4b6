"""Reverse a text by characters or by words."""


def text_reverse(text: str, by_words: bool = False) -> str:
    return " ".join(reversed(text.split())) if by_words else text[::-1]
