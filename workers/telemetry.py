"""Tracing and metrics, configured the standard way.

Traces: OTEL_TRACES_EXPORTER = console | otlp | none (default none: spans still get ids,
so every run has a trace id in its logs and its provider requests, but only the spans
whose context leaves the process are recorded: see OutgoingOnly; OTEL_TRACES_SAMPLER, when
set, decides instead).
OTLP reads the standard
OTEL_EXPORTER_OTLP_* variables; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the
process. Metrics: the SDK's Prometheus endpoint, when a port is given.
"""

import os
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
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


class OutgoingOnly(Sampler):
    """The sampler of a process that exports nothing: it records (and marks sampled) only
    the spans whose context leaves the process, a call to the Temporal server or a
    provider's HTTP request, so whoever receives the trace (a worker that exports its
    spans, a provider's gateway) sees it sampled, as it would without this sampler. Every
    other span is dropped unrecorded, and still carries its trace id."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind in (SpanKind.CLIENT, SpanKind.PRODUCER):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return SamplingResult(Decision.DROP, None, trace_state)

    def get_description(self) -> str:
        return "OutgoingOnly"


def tracer_provider_from_env() -> TracerProvider:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",")
    exporters = [e for name in names if (e := _exporter(name.strip().lower())) is not None]
    # A recorded span (its attributes, events, end time) costs a worker about 0.1 ms; with no
    # exporter it is thrown away at once.
    sampled = bool(exporters) or bool(os.environ.get("OTEL_TRACES_SAMPLER"))
    provider = TracerProvider(
        resource=Resource.create({"service.name": "overseer"}),
        sampler=None if sampled else OutgoingOnly(),  # None: the SDK reads OTEL_TRACES_SAMPLER
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
