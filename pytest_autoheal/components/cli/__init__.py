"""The cli component: discovery and checks for the cli suite."""
