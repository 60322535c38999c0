"""The LLM activity: one planning turn of the run's model."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import UNKNOWN_PROVIDER
from activities.heartbeat import heartbeat_while
from activities.providers import ModelProvider
from activities.providers.openai_chat import OpenAIChat
from activities.providers.scripted import ScriptedPlanner
from contracts.model_io import ModelRequest, ModelResponse

LLM_ACTIVITY = "llm.complete"

PROVIDERS: dict[str, ModelProvider] = {"scripted": ScriptedPlanner(), "openai": OpenAIChat()}


@activity.defn(name=LLM_ACTIVITY)
async def complete(request: ModelRequest) -> ModelResponse:
    provider = PROVIDERS.get(request.model.provider)
    if provider is None:
        raise ApplicationError(
            f"this worker has no model provider {request.model.provider!r}",
            type=UNKNOWN_PROVIDER,
            non_retryable=True,
        )
    response = await heartbeat_while(provider.complete(request))
    activity.logger.info(
        "model %s step %d: %d tool call(s), %d+%d tokens",
        response.model,
        request.step,
        len(response.tool_calls),
        response.usage.input_tokens,
        response.usage.output_tokens,
    )
    return response
