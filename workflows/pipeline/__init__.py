"""PipelineWorkflow: several agent runs joined by contracts (steps, fan-out, rollback).

It starts AgentRunWorkflow children, so it may import workflows.run's books and saga;
workflows.run never imports this package.
"""
