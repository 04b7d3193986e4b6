def geo_distance(a: float, b: float) -> float:
    """Distance between two positions on a line."""
    return abs(a - b)
