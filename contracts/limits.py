"""Limits on what a person, a model or a Temporal client can send, in one place.

Each is enforced where the input enters (a model's field, an update validator, a file
loader) and documented in the README ("Limits"). Generous for honest use; small enough that
no single input can make a workflow task slow or a history event large.
"""

# Ids of people and services (approver, by, requester): see contracts.identity.
ACTOR_ID_MAX_CHARS = 128
# Free text a human attaches to a decision or a control (why).
REASON_MAX_CHARS = 2_000
# A run's goal and a human's reply to a handoff, as typed or sent.
GOAL_MAX_CHARS = 20_000
HUMAN_INPUT_MAX_CHARS = 20_000
# An approver's edited arguments, as canonical JSON.
EDITED_ARGS_MAX_BYTES = 64 * 1024
# Text redaction looks at, per field; what is longer is cut (with a marker) first.
REDACT_MAX_CHARS = 64 * 1024
# Names: kill-switch tools and agents, action ids.
NAME_MAX_CHARS = 200
# Numbers an operator adds to a budget at once.
MAX_STEPS_ADDED = 100_000
MAX_TOKENS_ADDED = 1_000_000_000
MAX_COST_USD_ADDED = 1_000_000.0
MAX_WALL_SECONDS_ADDED = 365 * 24 * 3600.0

# Agent and pipeline files (starters.files), and the specs they become.
# A file is read whole before it is parsed: hand-written settings are a few KiB.
SPEC_FILE_MAX_BYTES = 1024 * 1024
# Nesting of YAML collections in such a file (a JSON schema rarely passes 10).
SPEC_FILE_MAX_DEPTH = 32
# An agent's instructions (its system prompt), in characters.
INSTRUCTIONS_MAX_CHARS = 100_000
# An output_schema, as canonical JSON, and its nesting.
OUTPUT_SCHEMA_MAX_BYTES = 64 * 1024
# Serialized RunSpec / PipelineSpec: far below Temporal's 2 MB payload limit, because a
# RunSpec rides in every start and continue-as-new event, and a pipeline carries several.
RUN_SPEC_MAX_BYTES = 256 * 1024
PIPELINE_SPEC_MAX_BYTES = 1024 * 1024
# Numbers in a spec: limits a run starts with (an operator can raise them later, see
# MAX_*_ADDED) and timeouts.
SPEC_MAX_STEPS = 10_000
SPEC_MAX_TOOL_CALLS = 100_000
SPEC_MAX_TOKENS = 1_000_000_000
SPEC_MAX_COST_USD = 1_000_000.0
SPEC_MAX_WAIT_SECONDS = 365 * 24 * 3600.0  # a run's wall clock, an approval's wait
SPEC_MAX_CALL_SECONDS = 24 * 3600.0  # one model or tool call, heartbeats, retry intervals
SPEC_MAX_CONCURRENT_RUNS = 10_000
# An agent's or pipeline's one-line description, and a path written in a file.
DESCRIPTION_MAX_CHARS = 2_000
PATH_MAX_CHARS = 4_096
