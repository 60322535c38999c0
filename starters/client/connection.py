"""Connecting to Temporal: the embedded dev server by default, any cluster by environment.

Reads the standard TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*
variables (and the Temporal CLI's config profiles) through temporalio.envconfig.
"""

import os

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

from contracts import TASK_QUEUE
from contracts.data_converter import overseer_data_converter
from contracts.errors import OverseerError

DEFAULT_ADDRESS = "localhost:7233"


def temporal_address() -> str:
    return os.environ.get("TEMPORAL_ADDRESS") or DEFAULT_ADDRESS


def task_queue() -> str:
    return os.environ.get("OVERSEER_TASK_QUEUE") or TASK_QUEUE


async def connect(runtime: Runtime | None = None) -> Client:
    """A client with Overseer's data converter and tracing (spans follow a run's trace)."""
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", DEFAULT_ADDRESS)
    try:
        return await Client.connect(
            **config,
            data_converter=overseer_data_converter,
            interceptors=[TracingInterceptor()],
            runtime=runtime,
        )
    except RuntimeError as error:
        raise OverseerError(
            f"cannot reach Temporal at {config['target_host']} ({error}); "
            "start one with `overseer server` or set TEMPORAL_ADDRESS"
        ) from None
