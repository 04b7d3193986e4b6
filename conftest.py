"""Root conftest: the monitoring suites under suites/ get their fixtures from the autoheal plugin.

The plugin itself is loaded through its ``pytest11`` entry point (``-p autoheal`` also works with
``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``); nothing here registers it a second time.
"""

collect_ignore = ["examples", "benchmarks"]
