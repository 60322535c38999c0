"""Agent and pipeline files: YAML read strictly into RunSpecs and pipeline specs.
Imports contracts only."""
