"""Prime numbers up to a limit (sieve of Eratosthenes, limit at most 100000)."""

from .._common import ToolError


def math_primes(limit: int) -> list[int]:
    if limit > 100_000:
        raise ToolError("limit must be at most 100000")
    if limit < 2:
        return []
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(sieve[n * n :: n]))
    return [i for i, flag in enumerate(sieve) if flag]
