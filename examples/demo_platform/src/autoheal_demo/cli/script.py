"""The demo CLI as a plain script path: ``python .../autoheal_demo/cli/script.py --help``."""

import sys

from autoheal_demo.cli import main

if __name__ == "__main__":
    sys.exit(main())
