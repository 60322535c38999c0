"""Tracing and metrics, configured the standard way.

Traces: OTEL_TRACES_EXPORTER = console | otlp | none (default none: spans still get ids,
so every run has a trace id in its logs and its provider requests, but they are not
recorded, since nothing would read them; OTEL_TRACES_SAMPLER, when set, decides instead).
OTLP reads the standard
OTEL_EXPORTER_OTLP_* variables; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the
process. Metrics: the SDK's Prometheus endpoint, when a port is given.
"""

import os

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from contracts.errors import OverseerError

TRACER_NAME = "overseer"


def _exporter(name: str) -> SpanExporter | None:
    if name in {"", "none"}:
        return None
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise OverseerError(
        f"OTEL_TRACES_EXPORTER={name!r} is not supported: use console, otlp or none"
    )


def tracer_provider_from_env() -> TracerProvider:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",")
    exporters = [e for name in names if (e := _exporter(name.strip().lower())) is not None]
    # A recorded span (its attributes, events, end time) costs a worker about 0.1 ms; with no
    # exporter it is thrown away at once. Not sampled, a span still carries its trace id.
    sampled = bool(exporters) or bool(os.environ.get("OTEL_TRACES_SAMPLER"))
    provider = TracerProvider(
        resource=Resource.create({"service.name": "overseer"}),
        sampler=None if sampled else ALWAYS_OFF,  # None: the SDK reads OTEL_TRACES_SAMPLER
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def setup_tracing(provider: TracerProvider | None = None) -> TracerProvider:
    """Install the process's tracer provider (once) and trace every httpx request."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = provider or tracer_provider_from_env()
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    return provider


def flush_tracing() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5000)


def current_trace_id() -> str:
    """The trace id of the current span (32 hex chars), or "" outside any span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def metrics_runtime(port: int) -> Runtime:
    """A Temporal runtime serving the SDK's and Overseer's metrics for Prometheus."""
    return Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"0.0.0.0:{port}"))
    )
