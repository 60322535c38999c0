"""The pipeline as the Web UI and `temporal workflow list` see it: search attributes and a
markdown tree of its steps and children in the current details."""

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from contracts import search_attributes as sa
from contracts.pipeline import PipelineSnapshot

PublishedPipeline = tuple[str, bool]


def tree_markdown(snapshot: PipelineSnapshot) -> str:
    head = f"**pipeline {snapshot.name}** · state **{snapshot.state}**"
    head += f" · segment {snapshot.segment}" if snapshot.segment else ""
    lines = [head, "", snapshot.goal, ""]
    for item in snapshot.items:
        lines.append(
            f"- `{item.label}` **{item.state}**" + (f": {item.reason}" if item.reason else "")
        )
        for child in item.children:
            lines.append(f"  - {child.role} `{child.run_id}` ({child.agent}) {child.shown_state}")
            for request in child.pending_approvals:
                lines.append(
                    f"    - waiting for approval: `{request.tool}` action `{request.short_id}`: "
                    f"`overseer approve {child.run_id} {request.short_id} --as YOU`"
                )
            if child.blocked_reason:
                lines.append(f"    - blocked: {child.blocked_reason}")
    if snapshot.uncompensated:
        lines += ["", "Uncompensated: " + "; ".join(snapshot.uncompensated)]
    if snapshot.failure_reason:
        lines += ["", f"Reason: {snapshot.failure_reason}"]
    return "\n".join(lines)


def publish_pipeline(
    snapshot: PipelineSnapshot, last: PublishedPipeline | None
) -> PublishedPipeline:
    now = (snapshot.state.value, bool(snapshot.pending_approvals))
    if now != last:
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.RUN_STATE.value_set(now[0]),
            sa.PENDING_APPROVAL.value_set(now[1]),
        ]
        if last is None:
            updates += [
                sa.AGENT.value_set(f"pipeline:{snapshot.name}"),
                sa.REQUESTER.value_set(snapshot.requester),
                sa.TRACE_ID.value_set(snapshot.trace_id),
            ]
        workflow.upsert_search_attributes(updates)
    workflow.set_current_details(tree_markdown(snapshot))
    return now
