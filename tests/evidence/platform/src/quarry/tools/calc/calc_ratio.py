def _share(part: int, whole: int) -> float:
    return part / whole


def calc_ratio(part: int, whole: int) -> float:
    """The share of a part in a whole."""
    return _share(part, whole)
