"""text tools."""
