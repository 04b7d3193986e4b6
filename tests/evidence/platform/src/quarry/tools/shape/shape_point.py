from typing import TypedDict


class Point(TypedDict):
    x: int
    y: int


def shape_point(label: str) -> Point:
    """A point for a label (the planted fault: x is not an integer)."""
    return {"x": "north", "y": len(label)}  # type: ignore[typeddict-item]
