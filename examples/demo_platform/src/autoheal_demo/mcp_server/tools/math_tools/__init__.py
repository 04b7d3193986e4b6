"""math tools."""
