"""RunSpec: everything one agent run needs, fixed when the run starts."""

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contracts.artifacts import ArtifactRef
from contracts.compact import CompactSpec
from contracts.identity import ActorId
from contracts.limits import (
    INSTRUCTIONS_MAX_CHARS,
    NAME_MAX_CHARS,
    SPEC_MAX_COST_USD,
    SPEC_MAX_STEPS,
    SPEC_MAX_TOKENS,
    SPEC_MAX_TOOL_CALLS,
    SPEC_MAX_WAIT_SECONDS,
)
from contracts.mcp import MCP_SERVERS_MAX, McpServer, mcp_secrets_problem
from contracts.model_io import ModelSpec
from contracts.notifications import NOTIFY_MAX, Webhook, WebUrl, notify_secrets_problem
from contracts.queue import QueueSpec
from contracts.redaction import PATTERNS_MAX, patterns_problem
from contracts.release import ReleaseRole
from contracts.retries import RetryConfig
from contracts.schedules import ScheduledRun
from contracts.signing import DECISION_KEYS_MAX, DecisionKey
from contracts.strict import Name


class PolicySpec(CompactSpec):
    version: str = Field(default="default-1", max_length=NAME_MAX_CHARS)
    # Tools whose calls wait for a human decision. None means: every irreversible
    # tool the agent may call.
    require_approval: list[str] | None = None
    # Who may decide: user ids, or "group:<name>" for a group below. Empty: any identified user.
    approvers: list[ActorId] = Field(default_factory=list, max_length=1000)
    groups: dict[Name, list[ActorId]] = Field(default_factory=dict, max_length=1000)
    # Four-eyes: the run's requester may not approve its own run's actions.
    four_eyes: bool = False
    # An approval request expires after this long; None: it waits for ever.
    approval_timeout_seconds: float | None = Field(default=None, gt=0, le=SPEC_MAX_WAIT_SECONDS)
    # On expiry: "reject" (the model is told) or "block" (the run waits in blocked for a human).
    on_approval_expiry: Literal["reject", "block"] = "reject"
    # When a budget is exhausted: "block" (wait for `overseer budget --add`) or "fail".
    on_budget_exhausted: Literal["block", "fail"] = "block"
    # Extra regular expressions redacted from events, details and logs (besides emails and
    # API-key-like tokens, which always are). RE2 syntax: matched in linear time.
    redact_patterns: list[str] = Field(default_factory=list, max_length=PATTERNS_MAX)
    # Keys trusted to vouch for decisions (see contracts.signing), by key id: several at
    # once while a key rotates. A signed decision is verified whether or not it is required.
    decision_keys: dict[Name, DecisionKey] = Field(
        default_factory=dict, max_length=DECISION_KEYS_MAX
    )
    # Refuse every decision that no trusted key signed: then an approver is who a key says.
    require_signed_decisions: bool = False
    # Webhooks told when an action starts waiting for a decision (contracts.notifications).
    notify: list[Webhook] = Field(default_factory=list, max_length=NOTIFY_MAX)
    # The approval service's web inbox, for links in notifications.
    inbox_url: WebUrl | None = None

    @model_validator(mode="after")
    def _signed_needs_keys(self) -> "PolicySpec":
        if self.require_signed_decisions and not self.decision_keys:
            raise ValueError("require_signed_decisions needs decision_keys: no key is trusted")
        return self

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        # Refused here, where a spec enters, so redaction inside a workflow task never is.
        if problem := patterns_problem(patterns):
            raise ValueError(problem)
        return patterns


class BudgetSpec(CompactSpec):
    """Limits of one run; None means unlimited. Each can be raised while the run lives."""

    # One step is one planning turn of the model.
    max_steps: int = Field(default=20, ge=1, le=SPEC_MAX_STEPS)
    max_tool_calls: int | None = Field(default=None, ge=1, le=SPEC_MAX_TOOL_CALLS)
    max_tokens: int | None = Field(default=None, ge=1, le=SPEC_MAX_TOKENS)  # input + output
    max_cost_usd: float | None = Field(default=None, gt=0, le=SPEC_MAX_COST_USD)
    max_wall_seconds: float | None = Field(default=None, gt=0, le=SPEC_MAX_WAIT_SECONDS)
    # Loop detection: the same tool with the same arguments this many times in a row.
    max_repeated_calls: int | None = Field(default=None, ge=1, le=SPEC_MAX_STEPS)


class RunSpec(CompactSpec):
    """The input of AgentRunWorkflow. Holds no secrets: keys are named, not inlined."""

    agent: str = Field(min_length=1, max_length=NAME_MAX_CHARS)
    goal: str
    # The whole goal, when `goal` is only a preview (a pipeline step's large input): the
    # model activity reads it from the artifact store.
    goal_artifact: ArtifactRef | None = None
    instructions: str = Field(default="", max_length=INSTRUCTIONS_MAX_CHARS)
    model: ModelSpec = Field(default_factory=ModelSpec)
    # Tried in order when the model is unavailable (circuit open, retries exhausted).
    fallback_models: list[ModelSpec] = Field(default_factory=list)
    # Bounded here, not only in agent files: `temporal workflow start` sends a RunSpec too.
    tools: list[Name] = Field(default_factory=list, max_length=500)
    # Names of the secrets the agent's tools may use; workers resolve the values.
    secrets: list[Name] = Field(default_factory=list, max_length=500)
    # MCP servers whose tools the agent may call (their tools are declared at the run's start).
    mcp: list[McpServer] = Field(default_factory=list, max_length=MCP_SERVERS_MAX)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    output_schema: dict[str, Any] | None = None
    # How many times the model is asked again for an answer that misses output_schema.
    output_retries: int = Field(default=2, ge=0, le=10)
    retries: RetryConfig = Field(default_factory=RetryConfig)
    requester: ActorId = "unknown"
    # Directory the file tools are confined to (absolute, as seen by workers).
    workspace: str = "."
    # W3C trace id (32 hex chars) of the trace the run belongs to.
    trace_id: str = ""
    # The run this one retries (`overseer retry`), if any.
    retry_of: str | None = None
    # Continue as new after this many model turns in one segment (also whenever Temporal
    # suggests it), so a long run's history stays small. None: only when suggested.
    continue_as_new_after_steps: int | None = Field(default=None, ge=1, le=SPEC_MAX_STEPS)
    # Wait in `created` for a slot of this run queue (limits on active runs, priority).
    # None: the run starts at once and never touches a queue.
    queue: QueueSpec | None = None
    # Set on the runs a schedule starts: which schedule, the goal's template (contracts.schedules).
    schedule: ScheduledRun | None = None
    # Started under a release (`overseer release`): which side, to report its end to.
    release: ReleaseRole | None = None
    # The agent version (contracts.versions): set by the run when it knows its tools, and
    # pinned in the spec of its later segments.
    agent_version: str = Field(default="", max_length=NAME_MAX_CHARS)
    # Set only on a run's later segments: the state carried over (see contracts.carry).
    carried: "CarriedState | None" = None

    @field_validator("policy")
    @classmethod
    def _notify_secrets_scoped(cls, policy: PolicySpec, info: ValidationInfo) -> PolicySpec:
        # `secrets` is declared before `policy`, so it is validated (or missing) by now.
        if problem := notify_secrets_problem(policy.notify, info.data.get("secrets", [])):
            raise ValueError(problem)
        return policy

    @model_validator(mode="after")
    def _mcp_secrets_scoped(self) -> "RunSpec":
        if problem := mcp_secrets_problem(self.mcp, self.secrets):
            raise ValueError(problem)
        return self


from contracts.carry import CarriedState  # noqa: E402  (CarriedState refers back to nothing here)

RunSpec.model_rebuild()
