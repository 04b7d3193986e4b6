"""The demo platform's MCP server: tools one per file under ``tools/<category>/<tool>.py``."""
