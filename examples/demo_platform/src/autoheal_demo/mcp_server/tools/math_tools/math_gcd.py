"""Greatest common divisor and least common multiple of two integers."""

import math
from typing import Any


def math_gcd(a: int, b: int) -> dict[str, Any]:
    return {"gcd": math.gcd(a, b), "lcm": math.lcm(a, b)}
