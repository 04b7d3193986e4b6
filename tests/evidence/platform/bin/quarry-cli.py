"""Script entry of the quarry CLI (one of its three ways to start)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from quarry.cli import main

main()
