"""date tools."""
