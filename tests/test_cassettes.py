"""Record a run's model calls from its history, replay them offline, catch a regression."""

from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.cassette import cassette_from_history
from starters.client.runs import replaying
from tests.helpers import events, make_spec, snapshot, start
from tests.http_fixture import CannedServer, canned_server
from tests.test_model_faults import FINAL, KEY_ENV, LIST_FILES, chat, openai_model

server = pytest.fixture(canned_server)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")


async def test_record_then_replay_gives_the_same_run(
    client: Client, worker: Worker, server: CannedServer, tmp_path: Path
) -> None:
    server.responses += [chat(LIST_FILES, 50, 5), chat(FINAL, 80, 4)]
    workspace = tmp_path / "ws"  # the cassette file must not show up in list_files
    workspace.mkdir()
    (workspace / "a.md").write_text("a")
    spec = make_spec(workspace, model=openai_model(server))
    recorded = await start(client, spec, worker.task_queue)
    original: RunResult = await recorded.result()

    cassette = await cassette_from_history(client, recorded.id)
    assert [entry.turn for entry in cassette.entries] == [1, 2]
    path = tmp_path / "run.cassette.json"
    path.write_text(cassette.model_dump_json())

    replayed = await start(client, replaying(spec, path), worker.task_queue)
    again: RunResult = await replayed.result()
    assert len(server.requests) == 2  # the replay asked no model
    assert (again.state, again.final_answer) == (original.state, original.final_answer)
    story = [(e.kind, e.from_state, e.to_state, e.detail) for e in await events(recorded)]
    assert [(e.kind, e.from_state, e.to_state, e.detail) for e in await events(replayed)] == story
    budget = (await snapshot(replayed)).budget
    assert (budget.input_tokens, budget.output_tokens, budget.tool_calls) == (130, 9, 1)


async def test_a_changed_prompt_is_caught_on_replay(
    client: Client, worker: Worker, server: CannedServer, tmp_path: Path
) -> None:
    server.responses += [chat(FINAL, 10, 1)]
    spec = make_spec(tmp_path, model=openai_model(server))
    recorded = await start(client, spec, worker.task_queue)
    await recorded.result()
    path = tmp_path / "run.cassette.json"
    path.write_text((await cassette_from_history(client, recorded.id)).model_dump_json())

    changed = replaying(spec.model_copy(update={"instructions": "a new system prompt"}), path)
    handle = await start(client, changed, worker.task_queue)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await snapshot(handle)
    assert final.state is RunState.FAILED
    assert final.failure_reason == (
        "non_retryable: model gpt-4o-mini: model turn 1 differs from the recording of "
        f"{recorded.id}: the prompt, a tool result or the tools changed"
    )
    assert not [e for e in await events(handle) if e.kind is EventKind.MODEL_TURN]
