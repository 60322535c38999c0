"""ReleaseWorkflow: one agent's canary, durable (`overseer release`).

It holds the candidate's spec and its share of new runs; starters ask it (a query) whether a
new run goes to the candidate. Runs started under the release report how they ended (a
signal); when the candidate's rate of unsuccessful runs over its window exceeds stable's by
the margin, the release halts itself: new runs go back to stable, and a note says why.
"""

from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from contracts.errors import validation_problem
from contracts.release import (
    RELEASE_WORKFLOW,
    CandidateRequest,
    ReleaseDecision,
    ReleaseNote,
    ReleaseView,
    RunReport,
    SideFigures,
)
from contracts.schedules import UNSUCCESSFUL
from contracts.spec import RunSpec
from workflows.common.bodies import parse_update_body

NOTES_KEPT = 50
REPORTS_PER_SEGMENT = 1000


@workflow.defn(name=RELEASE_WORKFLOW)
class ReleaseWorkflow:
    @workflow.init
    def __init__(self, carried: ReleaseView) -> None:
        self._view = carried
        self._reports = 0

    @workflow.run
    async def run(self, carried: ReleaseView) -> None:
        await workflow.wait_condition(
            lambda: (
                self._reports >= REPORTS_PER_SEGMENT
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._view)

    @workflow.update(name="set_candidate")
    def set_candidate(self, body: Any) -> ReleaseView:
        request = parse_update_body(CandidateRequest, body)
        view = self._view
        view.candidate_spec_json = request.spec_json
        view.candidate_version = request.version
        view.percent = request.percent
        view.window, view.min_runs, view.margin = request.window, request.min_runs, request.margin
        view.status = "canary"
        view.candidate, view.candidate_outcomes = SideFigures(), []
        self._note(
            f"candidate {request.version} on {request.percent:g}% of new runs "
            f"(halts when its unsuccessful rate over {request.window} runs exceeds stable's "
            f"by {request.margin:.0%}), by {request.by}: {request.reason}"
        )
        return view

    @set_candidate.validator
    def _validate_candidate(self, body: Any) -> None:
        request = parse_update_body(CandidateRequest, body)
        try:
            candidate = RunSpec.model_validate_json(request.spec_json)
        except ValidationError as error:
            raise ApplicationError(
                f"spec_json is not a run spec: {validation_problem(error)}", type="Refused"
            ) from None
        if candidate.agent != self._view.agent:
            raise ApplicationError(
                f"the candidate is agent {candidate.agent!r}, not {self._view.agent!r}",
                type="Refused",
            )
        if request.version == self._view.stable_version:
            raise ApplicationError(
                f"{request.version} is already the stable version", type="Refused"
            )

    @workflow.update(name="promote")
    def promote(self, body: Any) -> ReleaseView:
        decision = parse_update_body(ReleaseDecision, body)
        view = self._view
        self._note(
            f"candidate {view.candidate_version} promoted to stable (was "
            f"{view.stable_version or 'the agent file'}), by {decision.by}: {decision.reason}"
        )
        view.stable_version = view.candidate_version
        view.stable, view.stable_outcomes = view.candidate, view.candidate_outcomes
        self._clear("promoted")
        return view

    @promote.validator
    def _validate_promote(self, body: Any) -> None:
        parse_update_body(ReleaseDecision, body)
        if not self._view.candidate_version:
            raise ApplicationError("there is no candidate to promote", type="Refused")

    @workflow.update(name="rollback")
    def rollback(self, body: Any) -> ReleaseView:
        decision = parse_update_body(ReleaseDecision, body)
        self._note(
            f"candidate {self._view.candidate_version} rolled back: every new run on stable, "
            f"by {decision.by}: {decision.reason}"
        )
        self._clear("rolled_back")
        return self._view

    @rollback.validator
    def _validate_rollback(self, body: Any) -> None:
        parse_update_body(ReleaseDecision, body)
        if not self._view.candidate_version:
            raise ApplicationError("there is no candidate to roll back", type="Refused")

    @workflow.signal(name="run_ended")
    def run_ended(self, body: Any = None) -> None:
        try:
            report = RunReport.model_validate(body)
        except ValueError:
            workflow.logger.warning("release %s: a run_ended signal that does not parse", body)
            return
        self._reports += 1
        view = self._view
        if report.role == "candidate":
            if report.candidate != view.candidate_version:
                return  # a run of an earlier candidate: it says nothing of this one
            view.candidate_outcomes = ([*view.candidate_outcomes, report.outcome])[-view.window :]
            view.candidate = _figures(view.candidate_outcomes)
        else:
            view.stable_outcomes = ([*view.stable_outcomes, report.outcome])[-view.window :]
            view.stable = _figures(view.stable_outcomes)
        self._maybe_halt()

    @workflow.query(name="release")
    def release(self) -> ReleaseView:
        return self._view

    def _maybe_halt(self) -> None:
        view = self._view
        if view.status != "canary" or view.candidate.runs < view.min_runs:
            return
        excess = view.candidate.rate - view.stable.rate
        if excess <= view.margin:
            return
        view.status, view.percent = "halted", 0.0
        self._note(
            f"halted: candidate {view.candidate_version} had {view.candidate.unsuccessful} "
            f"unsuccessful of its last {view.candidate.runs} runs ({view.candidate.rate:.0%}) "
            f"against stable's {view.stable.rate:.0%} over {view.stable.runs}; more than the "
            f"{view.margin:.0%} margin. New runs go to stable."
        )

    def _clear(self, status: str) -> None:
        view = self._view
        view.status = status  # type: ignore[assignment]
        view.candidate_version, view.candidate_spec_json, view.percent = "", "", 0.0
        view.candidate, view.candidate_outcomes = SideFigures(), []

    def _note(self, text: str) -> None:
        self._view.notes = [*self._view.notes, ReleaseNote(at=workflow.now(), text=text)][
            -NOTES_KEPT:
        ]
        workflow.set_current_details(f"**Release of {self._view.agent}**: {text}")


def _figures(outcomes: list[str]) -> SideFigures:
    return SideFigures(
        runs=len(outcomes), unsuccessful=sum(1 for o in outcomes if o in UNSUCCESSFUL)
    )
