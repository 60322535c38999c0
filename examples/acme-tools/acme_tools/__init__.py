"""ACME's tools for Overseer agents (an example package)."""
