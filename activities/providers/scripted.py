"""The scripted planner: an offline, deterministic stand-in for a model.

It is not a language model. It plays the turns written in the agent file, in order (a
turn with `repeat: N` N times), and stops with an explanation as soon as a tool call of its
comes back as an error, a denial or a rejection. It exists so a run can be demonstrated and
tested with no model API.
"""

from typing import Any

from contracts.model_io import (
    Message,
    ModelRequest,
    ModelResponse,
    ScriptTurn,
    ToolCall,
    Usage,
)

EXHAUSTED = "The scripted planner has no turns left in its script; stopping here."


def _first_user_text(messages: list[Message]) -> str:
    return next((m.content for m in messages if m.role == "user"), "")


def _fill(value: Any, goal: str) -> Any:
    """Replace `{goal}` in the script's strings, so one script serves any goal."""
    if isinstance(value, str):
        return value.replace("{goal}", goal)
    if isinstance(value, dict):
        return {key: _fill(item, goal) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, goal) for item in value]
    return value


def _turn_at(script: list[ScriptTurn], position: int) -> ScriptTurn | None:
    """The turn played at `position` (0-based), counting each turn `repeat` times."""
    for turn in script:
        if position < turn.repeat:
            return turn
        position -= turn.repeat
    return None


def _trailing_errors(messages: list[Message]) -> list[Message]:
    errors = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        if message.is_error:
            errors.append(message)
    return list(reversed(errors))


class ScriptedPlanner:
    async def complete(self, request: ModelRequest) -> ModelResponse:
        spec = request.model
        goal = _first_user_text(request.messages)
        turns_taken = sum(1 for message in request.messages if message.role == "assistant")
        errors = _trailing_errors(request.messages)
        if errors:
            reasons = "; ".join(message.content for message in errors)
            text = f"I stopped because a tool call did not go through: {reasons}"
            tool_calls: list[ToolCall] = []
        elif (turn := _turn_at(spec.script, turns_taken)) is not None:
            text = _fill(turn.say, goal)
            tool_calls = [
                ToolCall(
                    id=f"call-{request.step}-{index}",
                    name=call.tool,
                    arguments=_fill(call.args, goal),
                )
                for index, call in enumerate(turn.tool_calls, start=1)
            ]
        else:
            text, tool_calls = EXHAUSTED, []
        return ModelResponse(
            text=text,
            tool_calls=tool_calls,
            # Honest usage: a script costs no tokens.
            usage=Usage(),
            finish_reason="tool_calls" if tool_calls else "stop",
            model=spec.name,
            model_version=spec.version,
        )
