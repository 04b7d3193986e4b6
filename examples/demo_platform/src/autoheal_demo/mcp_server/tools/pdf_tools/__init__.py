"""pdf tools."""
