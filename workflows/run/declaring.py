"""When and how a run learns its tools (pinned in its history, never read from code).

Most runs learn them from their first model call: the request carries `declare`, the model
activity declares the tools as `tools.declare` would and answers with them, so a run's
start costs no activity of its own. The runs that must know their tools before that call
ask `tools.declare` first, a local activity on the worker running the run's first task.
"""

from contracts.spec import RunSpec
from contracts.tools import DeclareTools


def declares_before_first_call(spec: RunSpec) -> bool:
    """A queued run (a missing tool fails it before it waits for a slot), a released run
    (its report to the release names its version however early it ends), a run whose
    models answer on other task queues (a model pool's worker may have other tools and no
    tool pools of the run's worker), and a run with MCP servers (starting and listing them
    takes seconds: not inside a model call's timeout, nor again on each of its attempts)."""
    models = [spec.model, *spec.fallback_models]
    return (
        spec.queue is not None
        or spec.release is not None
        or bool(spec.mcp)
        or any(model.task_queue is not None for model in models)
    )


def declare_request(spec: RunSpec) -> DeclareTools:
    """What the run asks its worker to declare: its tools, its MCP servers, and the tool
    names its policy and retries use (one naming an MCP tool is checked once listed)."""
    policy = [*(spec.policy.require_approval or []), *spec.retries.per_tool]
    return DeclareTools(
        names=spec.tools,
        agent=spec.agent,
        mcp=spec.mcp,
        policy_names=policy if spec.mcp else [],
    )
