def text_count(text: str, needle: str = "a") -> int:
    """Count a needle in a text."""
    return text.count(needle)
