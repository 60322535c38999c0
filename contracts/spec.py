"""RunSpec: everything one agent run needs, fixed when the run starts."""

from typing import Any

from pydantic import BaseModel, Field

from contracts.model_io import ModelSpec
from contracts.queue import QueueSpec
from contracts.retries import RetryConfig


class PolicySpec(BaseModel):
    version: str = "default-1"
    # Tools whose calls wait for a human decision. None means: every irreversible
    # tool the agent may call.
    require_approval: list[str] | None = None
    # Who may decide (user ids). Empty means any identified user.
    approvers: list[str] = Field(default_factory=list)


class BudgetSpec(BaseModel):
    # One step is one planning turn of the model.
    max_steps: int = Field(default=20, ge=1)


class RunSpec(BaseModel):
    """The input of AgentRunWorkflow. Holds no secrets: keys are named, not inlined."""

    agent: str
    goal: str
    instructions: str = ""
    model: ModelSpec = Field(default_factory=ModelSpec)
    # Tried in order when the model is unavailable (circuit open, retries exhausted).
    fallback_models: list[ModelSpec] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    output_schema: dict[str, Any] | None = None
    # How many times the model is asked again for an answer that misses output_schema.
    output_retries: int = Field(default=2, ge=0, le=10)
    retries: RetryConfig = Field(default_factory=RetryConfig)
    requester: str = "unknown"
    # Directory the file tools are confined to (absolute, as seen by workers).
    workspace: str = "."
    # W3C trace id (32 hex chars) of the trace the run belongs to.
    trace_id: str = ""
    # The run this one retries (`overseer retry`), if any.
    retry_of: str | None = None
    # Continue as new after this many model turns in one segment (also whenever Temporal
    # suggests it), so a long run's history stays small. None: only when suggested.
    continue_as_new_after_steps: int | None = Field(default=None, ge=1)
    # Wait in `created` for a slot of this run queue (limits on active runs, priority).
    # None: the run starts at once and never touches a queue.
    queue: QueueSpec | None = None
    # Set only on a run's later segments: the state carried over (see contracts.carry).
    carried: "CarriedState | None" = None


from contracts.carry import CarriedState  # noqa: E402  (CarriedState refers back to nothing here)

RunSpec.model_rebuild()
