"""One trace per run (through the workflow, activities and the provider's HTTP call),
trace ids in logs and visibility, and Overseer's metrics on the Prometheus endpoint."""

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.approvals import Decision
from contracts.data_converter import overseer_data_converter
from contracts.snapshot import RunResult
from contracts.states import RunState
from starters.client.runs import start_run
from tests.helpers import make_spec, start, wait_for_state
from tests.http_fixture import CannedServer, canned_server
from tests.test_model_faults import FINAL, KEY_ENV, LIST_FILES, chat
from workers.log_format import JsonLineFormatter
from workers.telemetry import metrics_runtime, tracer_provider_from_env
from workers.worker import build_worker

server = pytest.fixture(canned_server)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-abcdefghijklmnop1234")


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLineFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[ListHandler]:
    handler = ListHandler()
    logger = logging.getLogger("temporalio.activity")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def agent_file(tmp_path: Path, server: CannedServer) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "name: traced\n"
        "tools: [list_files]\n"
        f"model: {{provider: openai, name: gpt-4o-mini, base_url: '{server.base_url}', "
        f"api_key_env: {KEY_ENV}}}\n"
    )
    return path


async def test_one_trace_per_run_through_workflow_activities_and_http(
    client: Client,
    worker: Worker,
    server: CannedServer,
    spans: InMemorySpanExporter,
    log_lines: ListHandler,
    tmp_path: Path,
) -> None:
    server.responses += [chat(LIST_FILES, 12, 3), chat(FINAL, 20, 2)]
    run_id, spec = await start_run(
        client, agent_file(tmp_path, server), "trace me", "tess", worker.task_queue
    )
    result: RunResult = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    assert result.state is RunState.COMPLETED
    assert len(spec.trace_id) == 32

    mine = [
        s
        for s in spans.get_finished_spans()
        if s.context is not None and format(s.context.trace_id, "032x") == spec.trace_id
    ]
    names = [s.name for s in mine]
    assert "overseer run" in names
    assert "StartWorkflow:AgentRunWorkflow" in names
    assert "RunWorkflow:AgentRunWorkflow" in names
    assert names.count("RunActivity:llm.complete") == 2
    assert "RunActivity:tool.list_files" in names
    http = [
        s
        for s in mine
        if s.attributes
        and "/v1/chat/completions"
        in str(s.attributes.get("url.full") or s.attributes.get("http.url"))
    ]
    assert len(http) == 2
    model_spans = [s for s in mine if s.name == "RunActivity:llm.complete"]
    tokens = sorted(str((s.attributes or {}).get("overseer.tokens.input")) for s in model_spans)
    assert tokens == ["12", "20"]
    tool_span = next(s for s in mine if s.name == "RunActivity:tool.list_files")
    assert (tool_span.attributes or {})["overseer.tool"] == "list_files"

    logged = [line for line in log_lines.lines if line.get("run_id") == run_id]
    assert logged, "no activity log line for the run"
    assert {line["trace_id"] for line in logged} == {spec.trace_id}
    assert {line["step"] for line in logged} >= {1, 2}

    found: list[str] = []
    while not found:  # visibility is eventually consistent; the test's timeout bounds this
        found = [
            execution.id
            async for execution in client.list_workflows(f'{sa.TRACE_ID.name} = "{spec.trace_id}"')
        ]
    assert found == [run_id]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_metrics_endpoint_serves_overseers_metrics(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    client = await Client.connect(
        env.client.service_client.config.target_host,
        runtime=metrics_runtime(port),
        data_converter=overseer_data_converter,
        interceptors=[TracingInterceptor()],
    )
    agent = f"metered-{uuid.uuid4().hex[:6]}"
    async with build_worker(client, f"metrics-{uuid.uuid4().hex[:8]}") as worker:
        handle = await start(client, make_spec(tmp_path, agent=agent), worker.task_queue)
        waiting = await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)
        request = waiting.pending_approvals[0]
        await handle.execute_update(
            "approve",
            Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="al"),
        )
        await handle.result()
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text

    def value(name: str, **labels: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no {name} {labels} in /metrics")

    assert value("overseer_runs_started", agent=agent) == 1
    assert value("overseer_runs_finished", agent=agent, state="completed") == 1
    assert value("overseer_approvals_requested", agent=agent, tool="write_file") == 1
    assert (
        value("overseer_approvals_decided", agent=agent, tool="write_file", verdict="approved") == 1
    )
    assert value("overseer_approval_wait_count", agent=agent, tool="write_file") == 1
    assert (
        value("overseer_model_tokens", agent=agent, model="scripted-planner", direction="input")
        == 0
    )


def exporting_nothing(monkeypatch: pytest.MonkeyPatch) -> trace.Tracer:
    """A tracer of a process with no tracing settings: nothing exported, no sampler set."""
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    return tracer_provider_from_env().get_tracer("test")


def test_without_an_exporter_only_the_spans_that_leave_the_process_are_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracer = exporting_nothing(monkeypatch)
    run = tracer.start_span("overseer run")  # a CLI's root span: internal
    inside = trace.set_span_in_context(run)
    activity = tracer.start_span("RunActivity", context=inside, kind=trace.SpanKind.SERVER)
    request = tracer.start_span("POST", context=inside, kind=trace.SpanKind.CLIENT)
    assert not run.is_recording() and not activity.is_recording()
    # Not recorded, a span still belongs to the run's trace (logs carry its id).
    trace_id = run.get_span_context().trace_id
    assert run.get_span_context().is_valid
    assert activity.get_span_context().trace_id == trace_id
    # What leaves the process goes out sampled, in the same trace.
    assert request.is_recording() and request.get_span_context().trace_flags.sampled
    assert request.get_span_context().trace_id == trace_id


def test_a_worker_that_exports_records_runs_started_by_a_cli_that_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = exporting_nothing(monkeypatch)
    carrier: dict[str, str] = {}
    with (
        cli.start_as_current_span("overseer run"),
        cli.start_as_current_span("StartWorkflow", kind=trace.SpanKind.CLIENT),
    ):
        TraceContextTextMapPropagator().inject(carrier)  # as Temporal's header carries it

    exported = InMemorySpanExporter()
    worker_provider = TracerProvider()  # an exporting worker: the SDK's default sampler
    worker_provider.add_span_processor(SimpleSpanProcessor(exported))
    parent = TraceContextTextMapPropagator().extract(carrier)
    worker_provider.get_tracer("worker").start_span(
        "RunWorkflow", context=parent, kind=trace.SpanKind.SERVER
    ).end()
    assert [span.name for span in exported.get_finished_spans()] == ["RunWorkflow"]


def test_spans_are_recorded_when_something_exports_them_or_a_sampler_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def server_span() -> trace.Span:
        tracer = tracer_provider_from_env().get_tracer("test")
        return tracer.start_span("RunActivity", kind=trace.SpanKind.SERVER)

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert server_span().is_recording()

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    assert server_span().is_recording()
