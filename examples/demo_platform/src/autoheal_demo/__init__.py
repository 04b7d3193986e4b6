"""autoheal-demo: a small platform with a CLI, an MCP server, a JS SDK and a dashboard."""
