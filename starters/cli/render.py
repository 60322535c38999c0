"""How runs, events and approvals read in a terminal."""

from contracts.approvals import ApprovalRequest
from contracts.events import EventKind, RunEvent
from contracts.snapshot import RunSnapshot


def event_line(event: RunEvent) -> str:
    at = event.at.strftime("%H:%M:%S")
    if event.kind is EventKind.TRANSITION:
        what = f"{event.from_state} -> {event.to_state}"
    else:
        what = str(event.kind)
    detail = "  " + " ".join(event.detail.split()) if event.detail else ""
    return f"#{event.seq:<3} {at}  {what:<38} {event.actor:<24}{detail}"


def approval_block(run_id: str, request: ApprovalRequest) -> str:
    args = request.args_json if len(request.args_json) <= 400 else request.args_json[:400] + "…"
    return "\n".join(
        [
            f"Waiting for approval: {request.tool} (action {request.short_id})",
            f"  args:   {args}",
            f"  sha256: {request.args_sha256}",
            f"  approve: overseer approve {run_id} {request.short_id} --as YOU",
            f'  reject:  overseer reject {run_id} {request.short_id} --as YOU --reason "..."',
        ]
    )


def snapshot_text(snapshot: RunSnapshot) -> str:
    budget = snapshot.budget
    lines = [
        f"run:       {snapshot.run_id}",
        f"agent:     {snapshot.agent}   requester: {snapshot.requester}",
        f"goal:      {snapshot.goal}",
        f"state:     {snapshot.state}",
        f"step:      {snapshot.step}/{budget.max_steps}   tool calls: {budget.tool_calls}   "
        f"tokens: {budget.input_tokens} in / {budget.output_tokens} out",
        f"events:    {snapshot.last_event_seq}",
    ]
    if snapshot.queue_position is not None:
        lines.append(f"queued:    position {snapshot.queue_position} in the run queue")
    if snapshot.trace_id:
        lines.append(f"trace:     {snapshot.trace_id}")
    if snapshot.blocked_reason:
        lines.append(f"blocked:   {snapshot.blocked_reason}")
    if snapshot.failure_reason:
        lines.append(f"reason:    {snapshot.failure_reason}")
    if snapshot.final_answer:
        lines.append(f"answer:    {snapshot.final_answer}")
    lines += [approval_block(snapshot.run_id, r) for r in snapshot.pending_approvals]
    if snapshot.handoff is not None:
        lines.append(f"handoff:   to {snapshot.handoff.to}: {snapshot.handoff.reason}")
        if snapshot.handoff.to == "human":
            lines.append(f'  reply:   overseer reply {snapshot.run_id} --as YOU --text "..."')
    return "\n".join(lines)
