"""AgentRunWorkflow: one supervised agent run.

AgentRunWorkflow (agent_run) is its face to Temporal; its handlers (handlers) hand every
call to the run itself, AgentRun (engine), which keeps the lifecycle and wiring. The turn
(plan -> gate -> act -> record) has its own module, and each concern beside it (controls,
holds, approval and step books, budgets, saga, publishing) one module. Imports contracts
and workflows.common; never another workflow's package.
"""
