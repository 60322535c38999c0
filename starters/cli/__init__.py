"""The `overseer` command: the parser (one small builder per command group), the
commands, and how they render. Talks to Temporal only through starters.client."""
