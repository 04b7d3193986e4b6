"""quarry: a small platform with planted faults (see ../../README.md)."""
