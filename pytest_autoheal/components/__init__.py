"""Components a platform is made of; each package holds its configuration, discovery and checks."""
