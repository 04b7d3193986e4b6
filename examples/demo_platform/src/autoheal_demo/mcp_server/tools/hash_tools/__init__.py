"""hash tools."""
