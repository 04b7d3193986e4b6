import anyio


async def slow_scan(pit: str) -> str:
    """Scan a pit (the planted fault: it never finishes in time)."""
    await anyio.sleep(120)
    return pit
