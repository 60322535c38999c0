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
