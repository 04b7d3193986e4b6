def calc_sum(values: list[int]) -> int:
    """Sum integers."""
    return sum(values)
