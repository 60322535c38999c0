"""Model calls on their own task queue, with the pool's concurrency and rate limit."""

import contextlib
import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from contracts.errors import OverseerError
from contracts.snapshot import RunResult
from contracts.states import RunState
from tests.helpers import make_spec, start
from tests.http_fixture import CannedServer, canned_server
from tests.test_model_faults import FINAL, KEY_ENV, chat, openai_model
from workers.config import load_worker_config
from workers.worker import build_workers

server = pytest.fixture(canned_server)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test")


def test_worker_config_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "worker.yaml"
    path.write_text(
        "max_concurrent_activities: 20\n"
        "breaker: {failure_threshold: 3, cooldown_seconds: 45}\n"
        "model_pools:\n"
        "  - {task_queue: overseer-llm-openai, max_concurrent: 2, calls_per_second: 5}\n"
    )
    config = load_worker_config(path)
    assert config.max_concurrent_activities == 20
    assert config.breaker.settings().cooldown.total_seconds() == 45
    [pool] = config.model_pools
    assert (pool.task_queue, pool.max_concurrent, pool.calls_per_second) == (
        "overseer-llm-openai",
        2,
        5.0,
    )


def test_a_bad_worker_config_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "worker.yaml"
    path.write_text("model_pools:\n  - {task_queue: q, calls_per_second: -1}\n")
    with pytest.raises(OverseerError) as error:
        load_worker_config(path)
    assert str(error.value) == (
        f"{path}: model_pools.0.calls_per_second: Input should be greater than 0"
    )


async def test_model_calls_run_on_the_pools_task_queue(
    client: Client, server: CannedServer, tmp_path: Path, task_queue: str
) -> None:
    pool_queue = f"pool-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "worker.yaml"
    path.write_text(
        f"model_pools:\n  - {{task_queue: {pool_queue}, max_concurrent: 2, calls_per_second: 5}}\n"
    )
    main, pool = build_workers(client, task_queue, load_worker_config(path))
    assert pool.config()["max_concurrent_activities"] == 2
    assert pool.config()["max_task_queue_activities_per_second"] == 5.0
    server.responses.append(chat(FINAL, 1, 1))
    model = openai_model(server).model_copy(update={"task_queue": pool_queue})
    async with contextlib.AsyncExitStack() as running:
        await running.enter_async_context(main)
        await running.enter_async_context(pool)
        handle = await start(client, make_spec(tmp_path, model=model), task_queue)
        result: RunResult = await handle.result()
    assert result.state is RunState.COMPLETED
    history = [event async for event in handle.fetch_history_events()]
    queues = [
        event.activity_task_scheduled_event_attributes.task_queue.name
        for event in history
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert queues == [pool_queue]  # the model call
    # A model on a pool's queue does not declare the run's tools: the run's own worker
    # does, first (the `tools.declare` local activity, a marker).
    markers = [e for e in history if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    summary = markers[0].user_metadata.summary.data
    assert summary == b'"declare tools: list_files, read_file, write_file"'
