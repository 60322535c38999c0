"""Budget checks: which limit, if any, stops the next step or tool call. Pure code."""

from datetime import datetime, timedelta

from contracts.budget import EXTENSIBLE, BudgetExtension
from contracts.snapshot import BudgetUsage
from contracts.spec import BudgetSpec
from contracts.text import duration_text, number, usd


class ExtensionRefused(ValueError):
    """An extension that cannot apply (a limit the run does not have)."""


def initial_usage(spec: BudgetSpec, now: datetime) -> BudgetUsage:
    return BudgetUsage(
        max_steps=spec.max_steps,
        max_tool_calls=spec.max_tool_calls,
        max_tokens=spec.max_tokens,
        max_cost_usd=spec.max_cost_usd,
        started_at=now,
        max_wall_seconds=spec.max_wall_seconds,
        max_repeated_calls=spec.max_repeated_calls,
    )


def wall_clock_deadline(usage: BudgetUsage) -> datetime | None:
    if usage.max_wall_seconds is None or usage.started_at is None:
        return None
    return usage.started_at + timedelta(seconds=usage.max_wall_seconds)


def _run_limits(usage: BudgetUsage, now: datetime) -> str | None:
    tokens = usage.input_tokens + usage.output_tokens
    if usage.max_tokens is not None and tokens >= usage.max_tokens:
        return f"max_tokens {usage.max_tokens} reached ({tokens} used)"
    if usage.max_cost_usd is not None and usage.cost_usd >= usage.max_cost_usd:
        return f"max_cost_usd {usd(usage.max_cost_usd)} reached ({usd(usage.cost_usd)} used)"
    if usage.max_wall_seconds is not None and usage.started_at is not None:
        elapsed = (now - usage.started_at).total_seconds()
        if elapsed >= usage.max_wall_seconds:
            limit = number(usage.max_wall_seconds)
            return f"max_wall_seconds {limit} reached ({duration_text(elapsed)} elapsed)"
    return None


def before_step(usage: BudgetUsage, now: datetime) -> str | None:
    """Why the model may not be asked again, or None."""
    if usage.steps_used >= usage.max_steps:
        return f"max_steps {usage.max_steps} reached"
    return _run_limits(usage, now)


def before_tool_call(usage: BudgetUsage, tool: str, call_sha256: str, now: datetime) -> str | None:
    """Why this tool call may not run, or None."""
    if usage.max_tool_calls is not None and usage.tool_calls >= usage.max_tool_calls:
        return f"max_tool_calls {usage.max_tool_calls} reached"
    limit = usage.max_repeated_calls
    repeats = usage.repeated_calls if call_sha256 == usage.last_call_sha256 else 0
    if limit is not None and repeats >= limit:
        return (
            f"loop_detected: {tool} with the same arguments {usage.repeated_calls} times in a row "
            f"(max_repeated_calls {limit})"
        )
    return _run_limits(usage, now)


def count_call(usage: BudgetUsage, call_sha256: str) -> None:
    """Record a tool call that runs, for loop detection."""
    if call_sha256 == usage.last_call_sha256:
        usage.repeated_calls += 1
    else:
        usage.last_call_sha256, usage.repeated_calls = call_sha256, 1


def check_extension(usage: BudgetUsage, extension: BudgetExtension) -> None:
    unlimited = [name for name in extension.amounts() if getattr(usage, EXTENSIBLE[name]) is None]
    if unlimited:
        raise ExtensionRefused(
            f"this run has no {', '.join(EXTENSIBLE[n] for n in unlimited)} limit to raise"
        )


def extend(usage: BudgetUsage, extension: BudgetExtension) -> str:
    """Raise the limits; returns what changed, for the event."""
    check_extension(usage, extension)
    changes = []
    for name, amount in extension.amounts().items():
        field = EXTENSIBLE[name]
        raised = getattr(usage, field) + amount
        setattr(usage, field, raised)
        changes.append(f"{field} -> {usd(raised) if field == 'max_cost_usd' else number(raised)}")
    return ", ".join(changes)
