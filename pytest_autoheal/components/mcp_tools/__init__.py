"""The mcp_tools component: discovery and checks for the mcp_tools suite."""
