"""Overseer's metrics, through Temporal's metric meter (replay-safe: nothing is counted
twice when a workflow replays). Served on the worker's Prometheus endpoint.

Approvals pending = overseer_approvals_requested - overseer_approvals_decided.
"""

from datetime import timedelta

from temporalio import workflow


class RunMetrics:
    def __init__(self, agent: str) -> None:
        meter = workflow.metric_meter().with_additional_attributes({"agent": agent})
        self._started = meter.create_counter("overseer_runs_started", "Agent runs started")
        self._finished = meter.create_counter(
            "overseer_runs_finished", "Agent runs ended, by final state"
        )
        self._requested = meter.create_counter(
            "overseer_approvals_requested", "Actions that waited for a human decision"
        )
        self._decided = meter.create_counter(
            "overseer_approvals_decided", "Human decisions, by verdict"
        )
        self._approval_wait = meter.create_histogram_timedelta(
            "overseer_approval_wait", "From approval request to decision", unit="ms"
        )
        self._tokens = meter.create_counter("overseer_model_tokens", "Model tokens, by direction")
        self._cost = meter.create_counter(
            "overseer_model_cost_microusd", "Model cost in millionths of a US dollar"
        )
        self._tool_failures = meter.create_counter(
            "overseer_tool_failures", "Tool calls that failed or were refused"
        )
        self._budget_exhausted = meter.create_counter(
            "overseer_budget_exhaustions", "Runs stopped by a budget"
        )

    def started(self) -> None:
        self._started.add(1)

    def finished(self, state: str) -> None:
        self._finished.add(1, {"state": state})

    def approval_requested(self, tool: str) -> None:
        self._requested.add(1, {"tool": tool})

    def approval_decided(self, tool: str, verdict: str, waited: timedelta) -> None:
        self._decided.add(1, {"tool": tool, "verdict": verdict})
        self._approval_wait.record(waited, {"tool": tool})

    def model_used(self, model: str, input_tokens: int, output_tokens: int, cost: float) -> None:
        self._tokens.add(input_tokens, {"model": model, "direction": "input"})
        self._tokens.add(output_tokens, {"model": model, "direction": "output"})
        self._cost.add(round(cost * 1_000_000), {"model": model})

    def tool_failed(self, tool: str) -> None:
        self._tool_failures.add(1, {"tool": tool})

    def budget_exhausted(self, budget: str) -> None:
        self._budget_exhausted.add(1, {"budget": budget})
