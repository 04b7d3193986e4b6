"""Tool modules, one per file, grouped by category folder."""
