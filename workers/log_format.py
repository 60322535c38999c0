"""Worker logs: one JSON object per line (or plain text), with the run id when there is one."""

import functools
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio import activity, workflow

from contracts.errors import OverseerError
from contracts.redaction import patterns_problem, redact
from workers.telemetry import current_trace_id

LogFormat = Literal["json", "text"]
# Extra patterns (regular expressions, one per line) redacted from this worker's logs, on
# top of emails and API-key-like tokens; a run's policy patterns cover its events.
REDACT_ENV = "OVERSEER_REDACT_PATTERNS"


def log_redact_patterns() -> tuple[str, ...]:
    """The patterns of REDACT_ENV; OverseerError (one line) if RE2 refuses one or they are
    too many. Checked when logging is configured, so a worker with a bad one never starts."""
    patterns = _patterns(os.environ.get(REDACT_ENV, ""))
    if problem := patterns_problem(patterns):
        raise OverseerError(f"{REDACT_ENV}: {problem}")
    return patterns


def _patterns(value: str) -> tuple[str, ...]:
    return tuple(line for line in value.splitlines() if line.strip())


@functools.lru_cache(maxsize=8)
def _usable_patterns(value: str) -> tuple[str, ...]:
    # Set after start-up to something refused: a log line must still be written, with the
    # built-in patterns at least.
    patterns = _patterns(value)
    return () if patterns_problem(patterns) else patterns


def _log_redact(text: str) -> str:
    return redact(text, _usable_patterns(os.environ.get(REDACT_ENV, "")))


def _run_fields(record: logging.LogRecord) -> dict[str, Any]:
    # temporalio's workflow and activity loggers attach their context under these names.
    fields: dict[str, Any] = {}
    for source in ("temporal_workflow", "temporal_activity"):
        context = getattr(record, source, None)
        if isinstance(context, dict):
            if "workflow_id" in context:
                fields["run_id"] = context["workflow_id"]
            if "activity_type" in context:
                fields["activity"] = context["activity_type"]
    for name in ("run_id", "step", "trace_id"):
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = value
    if "trace_id" not in fields and (trace_id := current_trace_id()):
        fields["trace_id"] = trace_id
    return fields


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _log_redact(super().format(record))


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _log_redact(record.getMessage()),
            **_run_fields(record),
        }
        if record.exc_info:
            line["error"] = _log_redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


def configure_logging(log_format: LogFormat = "json", level: int = logging.INFO) -> None:
    log_redact_patterns()
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLineFormatter())
        # The run context goes into JSON fields instead of being appended to each message.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
