"""The run's steps as they happen. Pure code."""

from typing import Any

from contracts.steps import StepKind, StepRecord, StepStatus


class StepBook:
    def __init__(
        self, carried: list[StepRecord] | None = None, recorded: int = 0, archived: int = 0
    ) -> None:
        # This segment's steps, and earlier completed irreversible ones (a rollback may
        # still have to undo them); the others are archived (see contracts.run_log).
        self.steps: list[StepRecord] = list(carried or [])
        # How many steps the run has begun in all its segments, and archived.
        self.recorded = max(recorded, max((step.index for step in self.steps), default=0))
        self.archived = archived
        self.segment_first_step = self.recorded + 1

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
        compensation: str | None = None,
        task_queue: str | None = None,
    ) -> StepRecord:
        self.recorded += 1
        step = StepRecord(
            index=self.recorded,
            turn=turn,
            kind=kind,
            name=name,
            summary=summary,
            side_effect=side_effect,
            call_id=call_id,
            idempotency_key=idempotency_key,
            args=args or {},
            compensation=compensation,
            task_queue=task_queue,
        )
        self.steps.append(step)
        return step

    @staticmethod
    def finish(step: StepRecord, status: StepStatus) -> None:
        step.status = status
        step.safe_to_rerun = not (status == "completed" and step.side_effect == "irreversible")

    def unarchived(self) -> list[StepRecord]:
        """The steps not in the artifact store yet."""
        return [step for step in self.steps if step.index > self.archived]

    def archived_through(self, index: int) -> None:
        """Steps up to `index` are in the artifact store now: keep only those of them a
        rollback may still have to undo."""
        self.archived = max(index, self.archived)
        self.steps = [
            step for step in self.steps if step.index > index or self._to_undo_on_rollback(step)
        ]

    @staticmethod
    def _to_undo_on_rollback(step: StepRecord) -> bool:
        irreversible = step.kind == "tool" and step.side_effect == "irreversible"
        return irreversible and step.status == "completed"

    def completed_irreversible(self) -> list[StepRecord]:
        return [step for step in self.steps if self._to_undo_on_rollback(step)]
