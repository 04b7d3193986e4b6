"""ipfs tools."""
