"""Rolling a pipeline back: undo the completed steps' irreversible effects, newest first.

A completed child has ended, so its own saga can no longer run: the pipeline runs the
compensations itself, from the step records the child returned (RunResult.compensable).
"""

from collections.abc import Callable

from contracts.pipeline import ItemState
from contracts.states import RunState
from workflows.pipeline.board import PipelineBoard
from workflows.pipeline.children import ChildRuns
from workflows.run.saga import Record, roll_back
from workflows.run.step_book import StepBook

Note = Callable[[str, str, str, str], object]  # kind, step label, run id, detail


async def roll_back_pipeline(board: PipelineBoard, children: ChildRuns, note: Note) -> list[str]:
    """Returns what is left uncompensated (empty: everything was undone)."""
    left: list[str] = []
    for item in reversed(board.completed):
        for child in reversed(item.children):
            result = children.results.get(child.run_id)
            if result is None or not result.compensable:
                continue
            spec = children.specs[child.run_id]
            remaining = await roll_back(
                StepBook(result.compensable),
                run_id=child.run_id,
                workspace=spec.workspace,
                policy_for=spec.retries.for_tool,
                record=_recorder(note, item.label, child.run_id),
            )
            left += [f"{item.label} ({child.run_id}) {what}" for what in remaining]
            if not remaining:
                item.state = ItemState.COMPENSATED
    # Children the pipeline halted roll themselves back; one that could not says so.
    for item in board.all_items():
        for child in item.children:
            if child.state is RunState.FAILED and child.reason and "uncompensated" in child.reason:
                left.append(f"{item.label} ({child.run_id}): {child.reason}")
    return left


def anything_undone(board: PipelineBoard) -> bool:
    return any(
        item.state is ItemState.COMPENSATED
        or any(child.state is RunState.ROLLED_BACK for child in item.children)
        for item in board.all_items()
    )


def _recorder(note: Note, label: str, run_id: str) -> Record:
    return lambda kind, text, _evidence: note(str(kind), label, run_id, text)
