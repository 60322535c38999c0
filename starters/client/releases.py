"""Client side of releases: set a candidate, promote, roll back, look; and, for every new
run, which side it starts on. Errors become OverseerError."""

import hashlib
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from contracts.errors import OverseerError, one_line
from contracts.release import (
    RELEASE_WORKFLOW,
    CandidateRequest,
    ReleaseDecision,
    ReleaseRole,
    ReleaseView,
    release_workflow_id,
)
from contracts.spec import RunSpec
from contracts.versions import PER_RUN

QUERY_TIMEOUT = timedelta(seconds=10)


def takes_candidate(run_id: str, percent: float) -> bool:
    """Whether this run goes to the candidate: a stable function of the run id, so the
    share holds over many runs and the same id always lands on the same side."""
    bucket = int(hashlib.sha256(run_id.encode()).hexdigest()[:8], 16) % 10_000
    return bucket < percent * 100


class ReleaseClient:
    def __init__(self, client: Client, agent: str) -> None:
        self._client = client
        self.agent = agent
        self.workflow_id = release_workflow_id(agent)
        self._handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(self.workflow_id)

    async def view(self) -> ReleaseView | None:
        """The release, or None if the agent has none."""
        try:
            described = await self._handle.describe(rpc_timeout=QUERY_TIMEOUT)
            if described.status != WorkflowExecutionStatus.RUNNING:
                return None
            view: ReleaseView = await self._handle.query(
                "release", result_type=ReleaseView, rpc_timeout=QUERY_TIMEOUT
            )
            return view
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise OverseerError(one_line(f"release of {self.agent}: {error.message}")) from None

    async def set_candidate(self, request: CandidateRequest, task_queue: str) -> ReleaseView:
        try:
            handle = await self._client.start_workflow(
                RELEASE_WORKFLOW,
                ReleaseView(agent=self.agent),
                id=self.workflow_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"Overseer release of agent {self.agent}: stable and candidate",
            )
        except RPCError as error:
            raise OverseerError(one_line(f"release of {self.agent}: {error.message}")) from None
        return await self._update(handle, "set_candidate", request)

    async def decide(self, verdict: str, decision: ReleaseDecision) -> ReleaseView:
        if await self.view() is None:
            raise OverseerError(f"agent {self.agent} has no release (set a --candidate first)")
        return await self._update(self._handle, verdict, decision)

    async def _update(self, handle: WorkflowHandle[Any, Any], name: str, body: Any) -> ReleaseView:
        try:
            view: ReleaseView = await handle.execute_update(
                name, body, result_type=ReleaseView, rpc_timeout=QUERY_TIMEOUT
            )
            return view
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, FailureError) else str(error)
            raise OverseerError(f"{name} refused: {reason}") from None
        except RPCError as error:
            raise OverseerError(one_line(f"release of {self.agent}: {error.message}")) from None


async def under_release(client: Client, spec: RunSpec, run_id: str) -> RunSpec:
    """The spec a new run starts with: the candidate's behaviour if the release's share
    picks this run, and in any case which side it is on, so it reports its end."""
    releases = ReleaseClient(client, spec.agent)
    view = await releases.view()
    if view is None:
        return spec
    role = ReleaseRole(release_id=releases.workflow_id, role="stable")
    if (
        view.status == "canary"
        and view.candidate_spec_json
        and takes_candidate(run_id, view.percent)
    ):
        candidate = RunSpec.model_validate_json(view.candidate_spec_json)
        per_run = {name: getattr(spec, name) for name in PER_RUN if name in RunSpec.model_fields}
        spec = candidate.model_copy(update={**per_run, "workspace": candidate.workspace})
        role = role.model_copy(update={"role": "candidate", "candidate": view.candidate_version})
    return spec.model_copy(update={"release": role})
