"""json tools."""
