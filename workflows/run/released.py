"""A run started under a release tells the agent's ReleaseWorkflow how it ended, so the
canary can halt itself (workflows/release.py). A part of AgentRun (engine.py); a run without
`spec.release` does nothing here and adds no history."""

from typing import TYPE_CHECKING

from temporalio import workflow

from contracts.release import RunReport
from workflows.run.parts import RunParts

if TYPE_CHECKING:
    from contracts.snapshot import RunSnapshot


class ReleasedRuns(RunParts):
    if TYPE_CHECKING:  # provided by AgentRun (engine.py)

        def snapshot(self) -> "RunSnapshot": ...

    async def _tell_release(self) -> None:
        release = self._spec.release
        if release is None:
            return
        report = RunReport(
            run_id=workflow.info().workflow_id,
            role=release.role,
            candidate=release.candidate,
            version=self._spec.agent_version,
            outcome=self.snapshot().outcome or "ok",
        )
        try:
            await workflow.get_external_workflow_handle(release.release_id).signal(
                "run_ended", report
            )
        except Exception as error:
            workflow.logger.warning("release %s not told: %s", release.release_id, error)
