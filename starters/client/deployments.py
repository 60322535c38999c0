"""Worker Deployments: which worker build new runs start on (`overseer deploy ...`).

A versioned worker (`overseer worker --deployment NAME --build-id ID`) registers its
version when it first polls; making a version current sends new runs to it, while runs
already started stay pinned to the version they started on until they end.
"""

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import datetime

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.deployment.v1 import WorkerDeploymentInfo
from temporalio.api.enums.v1 import (
    RoutingConfigUpdateState,
    VersioningBehavior,
    WorkerDeploymentVersionStatus,
)
from temporalio.api.workflow.v1 import VersioningOverride, WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
    UpdateWorkflowExecutionOptionsRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from contracts.errors import OverseerError
from contracts.kill_switch import KILL_SWITCH_WORKFLOW
from contracts.queue import RUN_QUEUE_WORKFLOW
from contracts.release import RELEASE_WORKFLOW

DEFAULT_DEPLOYMENT = "overseer"
DEPLOYMENT_VARIABLE = "OVERSEER_DEPLOYMENT"
# How long a new current version may take to reach every task queue of the deployment.
PROPAGATION_DEADLINE_SECONDS = 30.0
# The workflows that continue as new forever (one per queue, one kill switch set).
# Workflows that continue as new for ever (a release lives as long as its canary).
LONG_LIVED = (RUN_QUEUE_WORKFLOW, KILL_SWITCH_WORKFLOW, RELEASE_WORKFLOW)
MAX_LONG_LIVED = 1000


def deployment_name(given: str | None = None) -> str:
    """The deployment the CLI manages: given, else $OVERSEER_DEPLOYMENT, else "overseer"."""
    return given or os.environ.get(DEPLOYMENT_VARIABLE) or DEFAULT_DEPLOYMENT


@dataclass(frozen=True)
class VersionView:
    build_id: str
    # current, ramping, draining (runs pinned to it are open), drained, inactive, created
    status: str
    created: datetime | None
    stopped_being_current: datetime | None


@dataclass(frozen=True)
class DeploymentView:
    name: str
    current: str | None  # the current build id; None: new runs go to unversioned workers
    versions: list[VersionView]
    # False while a change of the current version is still reaching its task queues.
    propagated: bool

    def version(self, build_id: str) -> VersionView | None:
        return next((v for v in self.versions if v.build_id == build_id), None)


async def describe_deployment(client: Client, name: str) -> DeploymentView:
    """The deployment's versions, newest first, and its current one."""
    request = DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=name)
    try:
        response = await client.workflow_service.describe_worker_deployment(request)
    except RPCError as error:
        raise _one_line(error, name) from None
    return _view(response.worker_deployment_info)


async def set_current_version(client: Client, name: str, build_id: str) -> str | None:
    """Make `build_id` the current version (new runs start on it); the previous current
    build id, or None if new runs went to unversioned workers."""
    deployment = await describe_deployment(client, name)
    if deployment.version(build_id) is None:
        builds = ", ".join(v.build_id for v in deployment.versions) or "none"
        raise OverseerError(
            f"deployment {name} has no build {build_id} (its builds: {builds}); start its "
            f"workers first: overseer worker --deployment {name} --build-id {build_id}"
        )
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace,
        deployment_name=name,
        build_id=build_id,
        identity=client.identity,
    )
    deadline = time.monotonic() + PROPAGATION_DEADLINE_SECONDS
    while True:
        try:
            response = await client.workflow_service.set_worker_deployment_current_version(request)
            break
        except RPCError as error:
            # New workers register each task queue (workflow, activity) on its first poll:
            # until all have, the server refuses a version missing one the current serves.
            registering = "missing active task queues" in error.message
            if not registering or time.monotonic() > deadline:
                raise _one_line(error, name) from None
        await asyncio.sleep(0.5)  # polling the server's state, with a deadline
    await _until_propagated(client, name, build_id)
    await upgrade_long_lived(client, name)
    return response.previous_deployment_version.build_id or None


async def upgrade_long_lived(client: Client, name: str) -> list[str]:
    """Let the deployment's run queues and kill switches follow the current version (an
    auto-upgrade override): they start pinned like every workflow of a versioned worker, and,
    continuing as new forever, would otherwise never leave the version they started on.
    Their workflow ids."""
    types = ", ".join(repr(t) for t in LONG_LIVED)
    query = (
        f"WorkflowType IN ({types}) AND ExecutionStatus = 'Running' "
        f"AND TemporalWorkerDeployment = '{name}'"
    )
    auto = VersioningOverride(
        behavior=VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE, auto_upgrade=True
    )
    override = WorkflowExecutionOptions(versioning_override=auto)
    moved = []
    async for execution in client.list_workflows(query, limit=MAX_LONG_LIVED):
        request = UpdateWorkflowExecutionOptionsRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=execution.id),
            workflow_execution_options=override,
        )
        request.update_mask.paths.append("versioning_override")
        try:
            await client.workflow_service.update_workflow_execution_options(request)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:  # ended since listed: nothing to move
                raise _one_line(error, name) from None
        moved.append(execution.id)
    return moved


async def _until_propagated(client: Client, name: str, build_id: str) -> None:
    # Only then does a run started next go to the new version, on every task queue.
    deadline = time.monotonic() + PROPAGATION_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        deployment = await describe_deployment(client, name)
        if deployment.current == build_id and deployment.propagated:
            return
        await asyncio.sleep(0.2)  # polling the server's state, with a deadline
    raise OverseerError(
        f"deployment {name}: build {build_id} is current, but not yet on every task queue "
        f"after {PROPAGATION_DEADLINE_SECONDS:.0f} s; check `overseer deploy status`"
    )


async def rollback(client: Client, name: str, build_id: str | None = None) -> tuple[str, str]:
    """Make `build_id` current again, by default the version most recently replaced;
    (the build id that was current, the build id now current)."""
    deployment = await describe_deployment(client, name)
    target = build_id or _previous(deployment)
    await set_current_version(client, name, target)
    return deployment.current or "unversioned", target


def _previous(deployment: DeploymentView) -> str:
    replaced = [v for v in deployment.versions if v.stopped_being_current is not None]
    if not replaced:
        raise OverseerError(
            f"deployment {deployment.name} has no earlier current version to roll back to; "
            "name one: overseer deploy rollback BUILD_ID"
        )
    return max(replaced, key=lambda v: v.stopped_being_current or datetime.min).build_id


def _view(info: WorkerDeploymentInfo) -> DeploymentView:
    current = info.routing_config.current_deployment_version.build_id or None
    versions = [
        VersionView(
            build_id=summary.deployment_version.build_id,
            status=WorkerDeploymentVersionStatus.Name(summary.status)
            .removeprefix("WORKER_DEPLOYMENT_VERSION_STATUS_")
            .lower(),
            created=summary.create_time.ToDatetime() if summary.HasField("create_time") else None,
            # Set only while the version is neither current nor ramping.
            stopped_being_current=summary.last_deactivation_time.ToDatetime()
            if summary.HasField("last_current_time") and summary.HasField("last_deactivation_time")
            else None,
        )
        for summary in info.version_summaries
    ]
    versions.sort(key=lambda v: v.created or datetime.min, reverse=True)
    in_progress = RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS
    return DeploymentView(
        name=info.name,
        current=current,
        versions=versions,
        propagated=info.routing_config_update_state != in_progress,
    )


def _one_line(error: RPCError, name: str) -> OverseerError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return OverseerError(
            f"no worker deployment {name}: start a worker with "
            f"`overseer worker --deployment {name} --build-id ID` first"
        )
    return OverseerError(f"deployment {name}: {error.message}")
