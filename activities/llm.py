"""The LLM activity: one planning turn of the run's model, behind a circuit breaker."""

from dataclasses import dataclass, field

from opentelemetry import trace
from pydantic import TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifact_stores.recent import RecentArtifacts
from activities.artifacts import ArtifactStore, default_store
from activities.errors import UNKNOWN_PROVIDER
from activities.heartbeat import heartbeat_while
from activities.payloads import expand, offload
from activities.progress import LiveProgress
from activities.providers import ModelProvider, StreamingProvider, attempts
from activities.providers.anthropic_messages import AnthropicMessages
from activities.providers.breaker import BreakerBoard
from activities.providers.http_errors import PROVIDER_MALFORMED_RESPONSE, PROVIDER_UNAVAILABLE
from activities.providers.openai_chat import OpenAIChat
from activities.providers.pricing import cost_usd, price_for
from activities.providers.replay import CassetteReplay
from activities.providers.scripted import ScriptedPlanner
from activities.tools.declare import declared_tools
from activities.tools.registry import tool_schema
from activities.tools.routes import ToolRoutes
from contracts.artifacts import ArtifactRef
from contracts.cassette import request_fingerprint
from contracts.errors import one_line
from contracts.model_io import Message, ModelRequest, ModelResponse, ModelSpec, ToolSchema
from contracts.tools import ToolDeclaration, stored_mcp_schemas

LLM_ACTIVITY = "llm.complete"
# Built once: a TypeAdapter is costly to make.
CONVERSATION = TypeAdapter(list[Message])
TOOL_SCHEMAS = TypeAdapter(list[ToolSchema])

# What says the endpoint is unwell (and counts towards opening its circuit).
ENDPOINT_FAILURES = frozenset({PROVIDER_UNAVAILABLE, PROVIDER_MALFORMED_RESPONSE})
# The run's tools could not be declared (a missing tool, an MCP server that cannot start):
# the run fails at once, as it would by `tools.declare`.
TOOLS_NOT_DECLARED = "ToolsNotDeclared"


async def _streamed(provider: StreamingProvider, request: ModelRequest) -> ModelResponse:
    """The provider's streamed answer, its text published for watchers as it arrives."""
    async with LiveProgress(f"model {request.model.name} step {request.step}") as live:
        try:
            return await heartbeat_while(
                provider.stream(request, live.text), details=attempts.carried()
            )
        except Exception as error:
            if not (isinstance(error, ApplicationError) and error.non_retryable):
                await live.retrying(f"failed half-way, asked again: {attempts.error_text(error)}")
            raise


async def _answer(provider: ModelProvider, spec: ModelSpec, request: ModelRequest) -> ModelResponse:
    if spec.stream and isinstance(provider, StreamingProvider):
        return await _streamed(provider, request)
    return await heartbeat_while(provider.complete(request), details=attempts.carried())


def default_providers() -> dict[str, ModelProvider]:
    return {
        "scripted": ScriptedPlanner(),
        "openai": OpenAIChat(),
        "anthropic": AnthropicMessages(),
        "replay": CassetteReplay(),
    }


@dataclass
class ModelActivities:
    """Holds what lives as long as the worker: provider clients and circuit breakers."""

    breakers: BreakerBoard = field(default_factory=BreakerBoard)
    providers: dict[str, ModelProvider] = field(default_factory=default_providers)
    # Model calls read back the conversation the run's last call wrote: kept in memory.
    store: ArtifactStore = field(default_factory=lambda: RecentArtifacts(default_store()))
    # The worker's tool pools, for the tools a run's first model call declares.
    routes: ToolRoutes = field(default_factory=ToolRoutes)

    async def _declared(
        self, request: ModelRequest
    ) -> tuple[ModelRequest, list[ToolDeclaration] | None]:
        """The request with the run's tools, when it asks to declare them, and the tools."""
        if request.declare is None:
            return request, None
        try:
            declared = await declared_tools(request.declare, self.routes)
        except Exception as error:  # a user's tool whose declaration raises, too
            message = error.message if isinstance(error, ApplicationError) else str(error)
            message = one_line(message or type(error).__name__)
            raise ApplicationError(message, type=TOOLS_NOT_DECLARED, non_retryable=True) from None
        update = {
            "declare": None,
            "tool_names": [tool.name for tool in declared],
            "mcp_tools": stored_mcp_schemas(declared),
        }
        return request.model_copy(update=update), declared

    async def _conversation(self, ref: ArtifactRef | None) -> list[Message]:
        if ref is None:
            return []
        return CONVERSATION.validate_json(await self.store.get(ref.sha256))

    async def _tool_schemas(self, request: ModelRequest) -> list[ToolSchema]:
        """The named tools' schemas: a registered tool's from the registry, an MCP tool's
        from what the run stored when it declared its tools."""
        stored: dict[str, ToolSchema] = {}
        if request.mcp_tools is not None:
            listed = TOOL_SCHEMAS.validate_json(await self.store.get(request.mcp_tools.sha256))
            stored = {schema.name: schema for schema in listed}
        return [
            stored[name] if name in stored else tool_schema(name) for name in request.tool_names
        ]

    async def _full_request(self, request: ModelRequest) -> tuple[ModelRequest, list[Message]]:
        """The request with the whole conversation, payloads expanded, as providers want it."""
        history = [*await self._conversation(request.conversation), *request.messages]
        messages = await expand(self.store, history)
        tools = request.tools or await self._tool_schemas(request)
        update = {"messages": messages, "conversation": None, "tools": tools}
        return request.model_copy(update=update), history

    async def _keep_out_of_history(
        self, response: ModelResponse, full: ModelRequest, history: list[Message]
    ) -> None:
        response.request_fingerprint = request_fingerprint(full.messages, full.tools)
        answer = Message(role="assistant", content=response.text, tool_calls=response.tool_calls)
        conversation = CONVERSATION.dump_json([*history, answer])
        response.conversation = await self.store.put(conversation, "application/json")
        response.text, response.text_artifact = await offload(self.store, response.text)

    @activity.defn(name=LLM_ACTIVITY)
    async def complete(self, request: ModelRequest) -> ModelResponse:
        spec = request.model
        provider = self.providers.get(spec.provider)
        if provider is None:
            raise ApplicationError(
                f"this worker has no model provider {spec.provider!r}",
                type=UNKNOWN_PROVIDER,
                non_retryable=True,
            )
        # Before the breaker: a missing tool fails the run even while its model is down.
        request, declared = await self._declared(request)
        breaker = self.breakers.for_endpoint(spec.endpoint)
        breaker.before_call()
        full, history = await self._full_request(request)
        try:
            response = await _answer(provider, spec, full)
        except Exception as error:
            failed = error.type if isinstance(error, ApplicationError) else None
            if failed in ENDPOINT_FAILURES and breaker.record_failure(attempts.error_text(error)):
                activity.metric_meter().create_counter(
                    "overseer_circuit_openings", "Circuit breakers opened, by endpoint"
                ).add(1, {"endpoint": spec.endpoint})
            attempts.record_failure(error)
            raise
        breaker.record_success()
        response.attempts = activity.info().attempt
        response.last_retry_error = attempts.last_retry_error()
        response.declared = declared
        await self._keep_out_of_history(response, full, history)
        price = price_for(spec)
        if price is None:
            activity.logger.warning("no price for model %s: its cost counts as 0", spec.name)
        else:
            response.cost_usd = cost_usd(price, response.usage)
        # The activity's span (from the tracing interceptor) is the step's span.
        trace.get_current_span().set_attributes(
            {
                "overseer.state": "planning",
                "overseer.step": request.step,
                "overseer.model": response.model,
                "overseer.provider": spec.provider,
                "overseer.tokens.input": response.usage.input_tokens,
                "overseer.tokens.output": response.usage.output_tokens,
                "overseer.cost_usd": response.cost_usd,
            }
        )
        activity.logger.info(
            "model %s step %d: %d tool call(s), %d+%d tokens",
            response.model,
            request.step,
            len(response.tool_calls),
            response.usage.input_tokens,
            response.usage.output_tokens,
            extra={"step": request.step},
        )
        return response
