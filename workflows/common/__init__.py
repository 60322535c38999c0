"""Helpers several workflows share: activity options, failure reasons, stored references,
child-to-parent progress. Imports contracts only, never a workflow's package."""
