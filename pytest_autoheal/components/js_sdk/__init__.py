"""The js_sdk component: discovery and checks for the js_sdk suite."""
