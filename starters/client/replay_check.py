"""Replay recent real histories against the workflow code of this checkout, before a deploy.

The same Replayer as tests/test_replay.py, with the workers' workflows, sandbox and data
converter: a history that no longer replays is a run the new code would break (an
auto-upgrade workflow at its next task, an unversioned worker at once).
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from contracts import WORKFLOW_NAME
from contracts.data_converter import overseer_data_converter
from contracts.errors import OverseerError, one_line
from contracts.kill_switch import KILL_SWITCH_WORKFLOW
from contracts.pipeline import PIPELINE_WORKFLOW_NAME
from contracts.queue import RUN_QUEUE_WORKFLOW
from contracts.release import RELEASE_WORKFLOW
from workers.sandbox import SANDBOX, WORKFLOW_CLASSES

MAX_HISTORIES = 1000
PAGE_SIZE = 100
MAX_QUERY_CHARS = 2000
MISMATCH_MAX_CHARS = 300
# Only the types the workers run: the Replayer refuses a history of any other type.
WORKFLOW_TYPES = (
    WORKFLOW_NAME,
    PIPELINE_WORKFLOW_NAME,
    RUN_QUEUE_WORKFLOW,
    KILL_SWITCH_WORKFLOW,
    RELEASE_WORKFLOW,
)


@dataclass(frozen=True)
class ReplayFailure:
    workflow_id: str
    run_id: str
    mismatch: str  # the first one, in one line

    def line(self) -> str:
        return f"FAILED {self.workflow_id} (run {self.run_id}): {self.mismatch}"


@dataclass
class ReplayReport:
    replayed: int = 0
    failures: list[ReplayFailure] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.replayed} replayed, {len(self.failures)} failed"


def selection(query: str | None) -> str:
    """The visibility query: the workers' workflow types, narrowed by the caller's query."""
    types = f"WorkflowType IN ({', '.join(repr(t) for t in WORKFLOW_TYPES)})"
    return f"{types} AND ({query})" if query else types


async def replay_check(
    client: Client,
    last: int,
    query: str | None = None,
    workflows: Sequence[type] = WORKFLOW_CLASSES,
) -> ReplayReport:
    """Replay the `last` most recent histories the query selects (all statuses, newest
    first); `workflows` are the classes to replay them against (the workers' by default)."""
    if not 1 <= last <= MAX_HISTORIES:
        raise OverseerError(f"--last {last}: replay between 1 and {MAX_HISTORIES} histories")
    if query is not None and not (0 < len(query) <= MAX_QUERY_CHARS and query.isprintable()):
        raise OverseerError(f"--query: 1-{MAX_QUERY_CHARS} printable characters")
    replayer = Replayer(
        workflows=list(workflows),
        data_converter=overseer_data_converter,
        workflow_runner=SANDBOX,
    )
    report = ReplayReport()
    async with replayer.workflow_replay_iterator(_histories(client, last, query)) as results:
        async for result in results:
            report.replayed += 1
            if result.replay_failure is not None:
                history = result.history
                mismatch = first_mismatch(result.replay_failure)
                report.failures.append(ReplayFailure(history.workflow_id, history.run_id, mismatch))
    return report


async def _histories(
    client: Client, last: int, query: str | None
) -> AsyncIterator[WorkflowHistory]:
    # One history at a time: the replayer takes each as it is downloaded.
    listed = client.list_workflows(selection(query), limit=last, page_size=min(last, PAGE_SIZE))
    try:
        async for execution in listed:
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            try:
                yield await handle.fetch_history()
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:  # gone since listed: nothing to check
                    raise
    except RPCError as error:
        where = "--query" if error.status == RPCStatusCode.INVALID_ARGUMENT else "listing runs"
        raise OverseerError(f"{where}: {error.message}") from None


def first_mismatch(failure: Exception) -> str:
    """The replayer's error, from where it names the mismatch, in one bounded line."""
    text = str(failure)
    start = text.find("Nondeterminism error:")
    if start >= 0:  # the core's message sits inside a debug dump of the failure: cut it out
        end = text.find('", ', start)
        text = text[start : end if end >= 0 else len(text)]
    text = one_line(text)
    return text if len(text) <= MISMATCH_MAX_CHARS else text[: MISMATCH_MAX_CHARS - 1] + "…"
