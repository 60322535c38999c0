"""Handoffs: to a human (the run waits in `blocked`, then goes on with the reply) and to
another agent (the pipeline continues with it), each recorded with its reason."""

from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.handoff import HumanInput
from contracts.model_io import ModelSpec, ScriptedCall, ScriptTurn
from contracts.pipeline import PipelineSpec, PipelineState, PipelineStep
from contracts.states import RunState
from tests.helpers import events, make_spec, snapshot, wait_for, wait_for_state
from tests.pipeline_helpers import (
    ITEM_SCHEMA,
    pipeline_snapshot,
    scripted_agent,
    start_pipeline,
    wait_for_pipeline,
)


def handing_off(workspace: Path, name: str, to: str, reason: str, then: str) -> ModelSpec:
    call = ScriptedCall(tool="handoff", args={"to": to, "reason": reason})
    return ModelSpec(
        script=[ScriptTurn(say="Handing off.", tool_calls=[call]), ScriptTurn(say=then)]
    )


async def test_a_handoff_to_a_human_waits_blocked_and_goes_on_with_the_reply(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    writer = make_spec(
        tmp_path,
        agent="writer",
        tools=["handoff"],
        model=handing_off(tmp_path, "writer", "human", "which tone?", "Written in the tone asked."),
    )
    spec = PipelineSpec(
        name="ask-a-human", goal="a note", steps=[PipelineStep(name="write", agent=writer)]
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    waiting = await wait_for_pipeline(
        handle, lambda s: any(c.blocked_reason for i in s.items for c in i.children)
    )
    [child] = waiting.items[0].children
    assert child.blocked_reason == "handoff_to_human: which tone?"
    run = client.get_workflow_handle(child.run_id)
    blocked = await wait_for_state(run, RunState.BLOCKED)
    assert blocked.handoff is not None
    assert (blocked.handoff.to, blocked.handoff.reason) == ("human", "which tone?")

    await run.signal("human_input", {"by": "hana"})  # no text: refused, recorded
    await wait_for(run, lambda s: s.last_event_seq > blocked.last_event_seq)
    seq = await run.execute_update(
        "human_input", HumanInput(by="hana", text="friendly"), result_type=int
    )
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    assert result.outputs == {"write": "Written in the tone asked."}
    log = await events(run)
    kinds = [(e.kind, e.actor, e.detail) for e in log if e.kind != EventKind.TRANSITION]
    assert (EventKind.HANDOFF, "agent:writer", "to human: which tone?") in kinds
    assert (
        EventKind.SIGNAL_REJECTED,
        "user:hana",
        "human_input signal refused: text: Field required",
    ) in kinds
    assert (log[seq - 1].kind, log[seq - 1].actor, log[seq - 1].detail) == (
        EventKind.HUMAN_INPUT,
        "user:hana",
        "friendly",
    )
    resumed = next(e for e in log if e.kind == "transition" and e.from_state is RunState.BLOCKED)
    assert (resumed.to_state, resumed.actor) == (RunState.PLANNING, "user:hana")
    assert (await snapshot(run)).handoff is None


async def test_a_handoff_to_another_agent_continues_the_step_with_it(
    client: Client, worker: Worker, tmp_path: Path
) -> None:
    triage = make_spec(
        tmp_path,
        agent="triage",
        tools=["handoff"],
        model=handing_off(tmp_path, "triage", "specialist", "needs a specialist", "unused"),
    )
    specialist = scripted_agent(tmp_path, "specialist", '{"item": "solved"}')
    spec = PipelineSpec(
        name="triage-then-specialist",
        goal="a hard case",
        agents={"specialist": specialist},
        steps=[PipelineStep(name="solve", agent=triage, output_schema=ITEM_SCHEMA)],
    )
    handle = await start_pipeline(client, spec, worker.task_queue)
    result = await handle.result()

    assert result.state is PipelineState.COMPLETED
    assert result.outputs == {"solve": {"item": "solved"}}
    final = await pipeline_snapshot(handle)
    children = [(c.run_id, c.agent, c.role, c.state) for c in final.items[0].children]
    assert children == [
        (f"{handle.id}.solve", "triage", "agent", RunState.COMPLETED),
        (f"{handle.id}.solve.handoff1", "specialist", "handoff", RunState.COMPLETED),
    ]
    handoffs = [(e.step, e.detail) for e in final.events if e.kind == "handoff"]
    assert handoffs == [("solve", "triage -> specialist: needs a specialist")]
    triage_log = await events(client.get_workflow_handle(f"{handle.id}.solve"))
    assert [e.detail for e in triage_log if e.kind is EventKind.HANDOFF] == [
        "to specialist: needs a specialist"
    ]
