"""The dashboard component: discovery and checks for the dashboard suite."""
