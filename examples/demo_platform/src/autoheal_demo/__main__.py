"""``python -m autoheal_demo``: the demo platform's CLI."""

import sys

from autoheal_demo.cli import main

if __name__ == "__main__":
    sys.exit(main())
