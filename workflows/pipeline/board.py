"""The pipeline's record of its steps, their children and its events. Pure code."""

from datetime import datetime
from typing import Any

from contracts.pipeline import (
    ChildRun,
    ItemState,
    PipelineCarry,
    PipelineEvent,
    PipelineSpec,
    StepItem,
)
from contracts.pipeline_inputs import gap


class PipelineBoard:
    def __init__(self, spec: PipelineSpec) -> None:
        self._spec = spec
        # Per step: one item (sequential) or one per fan-out item, once the list is known.
        self.items: dict[str, list[StepItem]] = {
            s.name: [StepItem(step=s.name)] for s in spec.steps
        }
        self.events: list[PipelineEvent] = []
        # Items in the order they completed: the rollback undoes them newest first.
        self.completed: list[StepItem] = []
        if spec.carried is not None:
            self._restore(spec.carried)

    def _restore(self, carried: PipelineCarry) -> None:
        self.items, self.events = carried.items, carried.events
        by_label = {item.label: item for item in self.all_items()}
        self.completed = [by_label[label] for label in carried.completed]

    def fanned_out(self, step: str) -> bool:
        """True once the step's items are known (e.g. in an earlier segment)."""
        return self.items[step][0].item is not None

    def all_items(self) -> list[StepItem]:
        return [item for step in self._spec.steps for item in self.items[step.name]]

    def fan_out(self, step: str, count: int) -> list[StepItem]:
        self.items[step] = [StepItem(step=step, item=index) for index in range(count)]
        return self.items[step]

    def outputs(self) -> dict[str, Any]:
        """What later steps may refer to: each finished step's output (a list for a fan-out)."""
        done = {ItemState.COMPLETED, ItemState.SKIPPED}
        found: dict[str, Any] = {}
        for step in self._spec.steps:
            items = self.items[step.name]
            if not all(item.state in done for item in items):
                continue
            outputs = [item.output for item in items]
            found[step.name] = outputs if step.for_each else outputs[0]
        return found

    def child(self, run_id: str) -> tuple[StepItem, ChildRun] | None:
        for item in self.all_items():
            for child in item.children:
                if child.run_id == run_id:
                    return item, child
        return None

    def note(
        self, kind: str, at: datetime, step: str = "", run_id: str = "", detail: str = ""
    ) -> PipelineEvent:
        event = PipelineEvent(
            seq=len(self.events) + 1, at=at, kind=kind, step=step, run_id=run_id, detail=detail
        )
        self.events.append(event)
        return event

    def complete(self, item: StepItem, output: Any) -> None:
        item.state, item.output = ItemState.COMPLETED, output
        self.completed.append(item)

    @staticmethod
    def skip(item: StepItem, reason: str) -> None:
        item.state, item.reason, item.output = ItemState.SKIPPED, reason, gap(item.label, reason)

    @staticmethod
    def fail(item: StepItem, state: ItemState, reason: str) -> None:
        item.state, item.reason = state, reason

    def needs_human(self) -> bool:
        return any(
            child.pending_approvals or child.blocked_reason
            for item in self.all_items()
            for child in item.children
        )
