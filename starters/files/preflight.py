"""The whole check of a file `overseer run` is given, before it connects to Temporal: a bad
file is refused in one line whether or not a server is reachable, and nothing is started."""

from pathlib import Path

from starters.files.agent_file import load_agent_file, run_spec
from starters.files.pipeline_file import is_pipeline_file, load_pipeline_file

# As long as a real trace id, so the spec's size is the one the run would have.
_PLACEHOLDER_TRACE = "0" * 32


def check_run_file(path: Path, goal: str, requester: str) -> None:
    """Load the agent or pipeline file at `path` into the spec a run of it would get;
    raises OverseerError naming the file and the field if anything is wrong."""
    if is_pipeline_file(path):
        load_pipeline_file(path, goal=goal, requester=requester, trace_id=_PLACEHOLDER_TRACE)
        return
    agent, workspace = load_agent_file(path)
    run_spec(agent, workspace, goal=goal, requester=requester, trace_id=_PLACEHOLDER_TRACE)
