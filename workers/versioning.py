"""Worker versioning: the Worker Deployment Version a worker serves, and what it pins.

A versioned worker polls as `<deployment>.<build id>`. Temporal sends a new workflow to the
deployment's current version, and then:

- AgentRunWorkflow and PipelineWorkflow are PINNED (the worker default): a run (and its
  continue-as-new segments, and a pipeline's child runs) keeps the code it started with
  until it ends, so a deploy never replays a run in flight against new code. The old
  version drains: keep its workers up until `overseer deploy status` says drained.
- RunQueueWorkflow and KillSwitchWorkflow start pinned too (a `versioning_behavior` on
  their definition is refused by the server on an unversioned worker), but they continue as
  new forever: pinned, they would hold the old version up forever, and stop with its
  workers. `overseer deploy promote` and `rollback` move them to auto-upgrade (a versioning
  override), so they follow the current version from their next workflow task; that is why
  their changes must replay old histories (`overseer replay-check` before a deploy).

Only the workflow worker is versioned. Model and tool pools run activities, which replay
nothing; versioned, a pool worker a release behind would strand the activities of runs
pinned to a version it does not serve.
"""

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

from workers.config import WorkerVersioning

DEFAULT_BEHAVIOR = VersioningBehavior.PINNED


def deployment_config(versioning: WorkerVersioning | None) -> WorkerDeploymentConfig | None:
    """The SDK's deployment options for a versioned worker; None: unversioned, as before."""
    if versioning is None:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(versioning.deployment, versioning.build_id),
        use_worker_versioning=True,
        default_versioning_behavior=DEFAULT_BEHAVIOR,
    )
