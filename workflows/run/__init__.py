"""AgentRunWorkflow: one supervised agent run.

The class (agent_run) keeps the lifecycle and wiring; the turn (plan -> gate -> act ->
record) has its own module, and each concern beside it (controls, holds, approval and
step books, budgets, saga, publishing) one module. Imports contracts and
workflows.common; never another workflow's package.
"""
