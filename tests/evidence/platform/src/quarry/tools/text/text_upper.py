def text_upper(text: str) -> str:
    """Upper-case a text."""
    return text.upper()
