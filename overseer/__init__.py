"""Overseer's public API for code outside this repository: `overseer.tools` declares a
team's own tools. Imports activities.tools and contracts only."""
