"""Agent and pipeline files: YAML read strictly into RunSpecs and pipeline specs.
Imports contracts, and the tool registry of activities (to check tool names)."""
