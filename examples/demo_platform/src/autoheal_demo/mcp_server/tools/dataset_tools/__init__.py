"""dataset tools."""
