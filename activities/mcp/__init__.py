"""MCP servers as supervised tool sources: list their tools (declare.py), call one (call.py)."""
