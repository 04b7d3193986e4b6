"""Publishing: the HTML health report, run history and CI summaries."""
