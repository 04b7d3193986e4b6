"""Heal: deduplicated issues and one draft pull request per new bug, from failure records."""
