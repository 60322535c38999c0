"""Worker logs: one JSON object per line (or plain text), with the run id when there is one."""

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio import activity, workflow

from contracts.redaction import redact
from workers.telemetry import current_trace_id

LogFormat = Literal["json", "text"]
# Extra patterns (regular expressions, one per line) redacted from this worker's logs, on
# top of emails and API-key-like tokens; a run's policy patterns cover its events.
REDACT_ENV = "OVERSEER_REDACT_PATTERNS"


def _log_redact(text: str) -> str:
    extra = [line for line in os.environ.get(REDACT_ENV, "").splitlines() if line.strip()]
    return redact(text, extra)


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
