"""Runtime error reporters: the platform reports its own errors as failure records."""
