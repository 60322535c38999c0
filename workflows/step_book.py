"""The run's steps as they happen. Pure code."""

from typing import Any

from contracts.steps import StepKind, StepRecord, StepStatus


class StepBook:
    def __init__(self, carried: list[StepRecord] | None = None) -> None:
        self.steps: list[StepRecord] = list(carried or [])

    def begin(
        self,
        *,
        turn: int,
        kind: StepKind,
        name: str,
        summary: str,
        side_effect: str,
        call_id: str | None = None,
        idempotency_key: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> StepRecord:
        step = StepRecord(
            index=len(self.steps) + 1,
            turn=turn,
            kind=kind,
            name=name,
            summary=summary,
            side_effect=side_effect,
            call_id=call_id,
            idempotency_key=idempotency_key,
            args=args or {},
        )
        self.steps.append(step)
        return step

    @staticmethod
    def finish(step: StepRecord, status: StepStatus) -> None:
        step.status = status
        step.safe_to_rerun = not (status == "completed" and step.side_effect == "irreversible")

    def completed_irreversible(self) -> list[StepRecord]:
        return [
            s
            for s in self.steps
            if s.kind == "tool" and s.side_effect == "irreversible" and s.status == "completed"
        ]
