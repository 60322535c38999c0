"""The run's current details, in markdown, for the Temporal Web UI."""

from contracts.approvals import ApprovalRequest
from contracts.handoff import HUMAN
from contracts.snapshot import RunSnapshot


def approval_wait_summary(run_id: str, request: ApprovalRequest, until_deadline: bool) -> str:
    """The summary of the timer a run waits on for a decision. The Web UI's Timeline, the
    run's default page, shows it while the timer is pending: the page a person lands on
    names the action and how to approve it (the current details are a tab away)."""
    until = " (until its deadline)" if until_deadline else ""
    return (
        f"waiting for approval{until}: {request.tool}, action {request.action_id}. "
        f"Approve: overseer approve {run_id} {request.short_id} --as YOU"
    )


def _approval_lines(run_id: str, request: ApprovalRequest) -> list[str]:
    body = (
        f'{{"action_id":"{request.action_id}","args_sha256":"{request.args_sha256}",'
        f'"approver":"YOU"}}'
    )
    args = request.args_json if len(request.args_json) <= 300 else request.args_json[:300] + "…"
    return [
        f"### Waiting for approval: `{request.tool}` (action `{request.short_id}`)",
        f"- Arguments: `{args}`",
        f"- SHA-256: `{request.args_sha256}`",
        f"- Approvers: {', '.join(request.approvers) or 'any user'}",
        "",
        f"Approve: `overseer approve {run_id} {request.short_id} --as YOU`",
        "",
        f"or: `temporal workflow update execute --workflow-id {run_id} --name approve "
        f"--input '{body}'`",
    ]


def _human_lines(run_id: str, reason: str) -> list[str]:
    body = '{"by":"YOU","text":"..."}'
    return [
        f"### Waiting for a human (handoff): {reason}",
        "",
        f'Reply: `overseer reply {run_id} --as YOU --text "..."`',
        "",
        f"or: `temporal workflow update execute --workflow-id {run_id} --name human_input "
        f"--input '{body}'`",
    ]


def current_details(snapshot: RunSnapshot) -> str:
    budget = snapshot.budget
    lines = [
        f"**{snapshot.agent}** · state **{snapshot.state}** · step {snapshot.step}"
        f"/{budget.max_steps} · tool calls {budget.tool_calls} · "
        f"tokens {budget.input_tokens + budget.output_tokens}"
        + (f" · version `{snapshot.agent_version}`" if snapshot.agent_version else ""),
        "",
        f"Goal: {snapshot.goal}",
    ]
    if snapshot.queue_position is not None:
        lines += ["", f"Queued: position {snapshot.queue_position} in the run queue"]
    for request in snapshot.pending_approvals:
        lines += ["", *_approval_lines(snapshot.run_id, request)]
    if snapshot.handoff is not None and snapshot.handoff.to == HUMAN:
        lines += ["", *_human_lines(snapshot.run_id, snapshot.handoff.reason)]
    if snapshot.failure_reason:
        lines += ["", f"Reason: {snapshot.failure_reason}"]
    if snapshot.final_answer:
        lines += ["", f"Answer: {snapshot.final_answer[:500]}"]
    return "\n".join(lines)
