import shapely_speedups  # the planted fault: not installed


def geo_nearest(lat: float, lon: float) -> str:
    """The nearest pit."""
    return shapely_speedups.nearest(lat, lon)
