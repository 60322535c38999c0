"""Provider-neutral model conversation: what the LLM activity takes and returns."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from contracts.artifacts import ArtifactRef
from contracts.compact import CompactModel, CompactSpec
from contracts.limits import (
    NAME_MAX_CHARS,
    SPEC_MAX_CALL_SECONDS,
    SPEC_MAX_STEPS,
    SPEC_MAX_TOKENS,
)
from contracts.strict import StrictBody
from contracts.tools import DeclareTools, ToolDeclaration

# What of a model's unparsable tool arguments is kept (in history and the conversation).
RAW_ARGUMENTS_MAX_CHARS = 8_000
CUT_MARKER = "...[cut]"


class ToolCall(BaseModel):
    """One tool call the model asked for, arguments already parsed."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # Set when the model sent arguments that are not a JSON object: the call is not
    # executed, the model is told.
    argument_error: str | None = None
    # What the model sent when it did not parse, so the conversation echoes its own text
    # back (not `{}`) and it can see its mistake. Cut to a bound: a model's garbage must
    # not grow history.
    raw_arguments: str | None = Field(default=None, max_length=RAW_ARGUMENTS_MAX_CHARS)

    @classmethod
    def unparsed(cls, id: str, name: str, raw: str, error: str) -> "ToolCall":
        """A call whose arguments the provider could not read as a JSON object."""
        if len(raw) > RAW_ARGUMENTS_MAX_CHARS:
            raw = raw[: RAW_ARGUMENTS_MAX_CHARS - len(CUT_MARKER)] + CUT_MARKER
        return cls(id=id, name=name, argument_error=error, raw_arguments=raw)


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    # Set on tool messages: the tool result was an error, a denial or a rejection.
    is_error: bool = False
    # The whole content, when `content` is only a preview of a large payload.
    artifact: ArtifactRef | None = None


class ToolSchema(BaseModel):
    """A tool as the model sees it: name, description, JSON schema of its input."""

    name: str
    description: str
    parameters: dict[str, Any]


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class ScriptedCall(StrictBody):
    tool: str = Field(max_length=NAME_MAX_CHARS)
    args: dict[str, Any] = Field(default_factory=dict)


class ScriptTurn(StrictBody):
    """One scripted model turn: some text and, optionally, tool calls.

    A turn without tool calls is the final answer.
    """

    say: str = ""
    tool_calls: list[ScriptedCall] = Field(default_factory=list)
    # Played this many times in a row (a polling loop, a long benchmark run): the script,
    # which every model call carries, stays short however many turns it plays.
    repeat: int = Field(default=1, ge=1, le=SPEC_MAX_STEPS)


# Dollars per million tokens no model comes near: a typo guard, not a price list.
_MAX_PRICE = 10_000.0


class ModelPrice(StrictBody):
    """US dollars per million tokens."""

    input_per_mtok: float = Field(ge=0, le=_MAX_PRICE)
    output_per_mtok: float = Field(ge=0, le=_MAX_PRICE)


class ModelSpec(CompactSpec):
    """Which model plans the run. API keys are named by env var, never inlined."""

    provider: Literal["scripted", "openai", "anthropic", "replay"] = "scripted"
    name: str = Field(default="scripted-planner", min_length=1, max_length=NAME_MAX_CHARS)
    version: str = Field(default="1", max_length=NAME_MAX_CHARS)
    base_url: str | None = None
    api_key_env: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_output_tokens: int | None = Field(default=None, ge=1, le=SPEC_MAX_TOKENS)
    # How long one HTTP call may take before it counts as a (retryable) timeout.
    timeout_seconds: float = Field(default=120.0, gt=0, le=SPEC_MAX_CALL_SECONDS)
    # Overrides the built-in price table for this model.
    price: ModelPrice | None = None
    # Run this model's calls on their own task queue (a model pool with its own
    # concurrency and rate limit); None: the run's own task queue.
    task_queue: str | None = None
    # Ask the provider to stream its answer, so `overseer watch` shows the text as it is
    # written (activities/progress.py). Off by default: a watcher's live text costs a few
    # history events per second of streaming, and not every compatible server streams.
    stream: bool = False
    # Only for the scripted provider: the turns it plays, in order.
    script: list[ScriptTurn] = Field(default_factory=list)
    # Only for the replay provider: the cassette file (on the worker) to answer from.
    cassette: str | None = None

    @property
    def endpoint(self) -> str:
        """What a circuit breaker guards: one provider at one base URL."""
        return f"{self.provider}:{self.base_url or 'default'}"


class ModelRequest(CompactModel):
    compact_items = {"messages": Message}

    run_id: str
    step: int
    model: ModelSpec
    # Only the messages since the previous model call: the conversation before them is in
    # the artifact store (`conversation`), so history does not carry it again every turn.
    messages: list[Message]
    conversation: ArtifactRef | None = None
    # The workflow names the tools; the model activity adds their schemas (they are the
    # same every turn, so history does not carry them).
    tool_names: list[str] = Field(default_factory=list)
    tools: list[ToolSchema] = Field(default_factory=list)
    # The stored schemas (a JSON list of ToolSchema) of the run's MCP tools, written once
    # when the run declared its tools: a reference per call, not the schemas.
    mcp_tools: ArtifactRef | None = None
    # Set on a run's first model call when the run's tools are not declared yet: the model
    # activity declares them (as `tools.declare` would) and answers with them (`declared`),
    # so a run's start costs no activity of its own (workflows/run/engine.py).
    declare: DeclareTools | None = None


class ModelResponse(CompactModel):
    compact_items = {"tool_calls": ToolCall}

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str = "stop"
    model: str
    # The model version as the provider reported it (falls back to the spec's).
    model_version: str
    cost_usd: float = 0.0
    # The whole conversation after this turn, in the artifact store.
    conversation: ArtifactRef | None = None
    # What the model was asked (see contracts.cassette): recorded for replay.
    request_fingerprint: str = ""
    # Set when `text` is only a preview of a very long answer.
    text_artifact: ArtifactRef | None = None
    # Which attempt of the activity answered, and the error that made the one before it
    # fail (see activities/llm.py): the run shows them on its model_turn event.
    attempts: int = 1
    last_retry_error: str = ""
    # The run's tools, when the request asked to declare them: pinned by this result.
    declared: list[ToolDeclaration] | None = None
