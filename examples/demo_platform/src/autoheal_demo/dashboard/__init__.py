"""The demo dashboard: a small Starlette app with pages, a tools API and the error receiver."""
