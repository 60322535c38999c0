"""How runs, events and approvals read in a terminal."""

from contracts.approvals import ApprovalRequest
from contracts.events import EventKind, RunEvent
from contracts.snapshot import RunSnapshot
from contracts.text import clip


def printable(text: str) -> str:
    """Text a model or a client wrote, safe for a terminal: whitespace runs become one
    space, other control characters (escape sequences) are shown escaped, not obeyed."""
    flat = " ".join(text.split())
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in flat)


def event_line(event: RunEvent) -> str:
    at = event.at.strftime("%H:%M:%S")
    if event.kind is EventKind.TRANSITION:
        what = f"{event.from_state} -> {event.to_state}"
    else:
        what = str(event.kind)
    detail = "  " + printable(event.detail) if event.detail else ""
    # Payloads kept out of history: `overseer artifact get` takes these references.
    stored = [e for e in event.evidence if e.startswith("sha256:")]
    artifacts = "  [" + " ".join(stored) + "]" if stored else ""
    return f"#{event.seq:<3} {at}  {what:<38} {printable(event.actor):<24}{detail}{artifacts}"


def approval_block(run_id: str, request: ApprovalRequest) -> str:
    args = printable(clip(request.args_json, 400))
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
        f"agent:     {snapshot.agent}   requester: {snapshot.requester}"
        + (f"   version: {snapshot.agent_version}" if snapshot.agent_version else ""),
        f"goal:      {printable(clip(snapshot.goal, 2000))}",
        f"state:     {snapshot.state}",
        # Model turns, as max_steps counts them; `overseer steps` numbers each step (a model
        # call or a tool call) and shows its turn, and `reset --to-step` takes those numbers.
        f"turn:      {snapshot.step}/{budget.max_steps}   tool calls: {budget.tool_calls}   "
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
        lines.append(f"answer:    {printable(snapshot.final_answer)}")
    lines += [approval_block(snapshot.run_id, r) for r in snapshot.pending_approvals]
    if snapshot.handoff is not None:
        lines.append(f"handoff:   to {snapshot.handoff.to}: {snapshot.handoff.reason}")
        if snapshot.handoff.to == "human":
            lines.append(f'  reply:   overseer reply {snapshot.run_id} --as YOU --text "..."')
    return "\n".join(lines)
