"""The serialized size of a spec, checked before anything is started: a workflow input
over Temporal's payload limit would be refused by the server only after a long RPC retry,
with a traceback."""

from pathlib import Path

from pydantic import BaseModel

from contracts.errors import OverseerError
from contracts.limits import PIPELINE_SPEC_MAX_BYTES, RUN_SPEC_MAX_BYTES
from contracts.pipeline import PipelineSpec


def check_size(spec: BaseModel, source: Path | str, what: str) -> None:
    """Refuse `spec` if its JSON (as the Temporal data converter writes it) is too large."""
    limit = PIPELINE_SPEC_MAX_BYTES if isinstance(spec, PipelineSpec) else RUN_SPEC_MAX_BYTES
    size = len(spec.model_dump_json().encode())
    if size > limit:
        raise OverseerError(
            f"{source}: the {what} is {size} bytes as JSON, more than {limit}: shorten "
            "instructions, model.script or output_schema"
        )
