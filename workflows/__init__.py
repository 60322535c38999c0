"""Deterministic orchestration: one package per workflow, plus what they share.

Code here runs inside Temporal's workflow sandbox: no I/O, time from `workflow.now()`.
It may import `contracts` freely and `activities` only for declarations, inside
`workflow.unsafe.imports_passed_through()`; never `workers` or `starters`.
"""
