"""The client library: start, query, decide, cancel and reset runs and pipelines; the
queue; kill switches; logs; cassettes. What scripts and other tools use to drive
Overseer from Python. Imports contracts, starters.files and workers (telemetry) only;
never starters.cli.
"""
