"""LLM-judge criteria: a run of a small judge agent (no tools) whose output schema is
{pass, reason}, through the same model activities as any run, so it has a run id too."""

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext
from temporalio.client import Client

from contracts.limits import GOAL_MAX_CHARS
from contracts.model_io import ModelSpec
from contracts.spec import BudgetSpec
from contracts.states import RunState
from starters.client.evaluation.observation import Observation
from starters.client.runs import RunClient, start_spec
from starters.files.agent_file import AgentFile, run_spec
from starters.files.eval_suite import CaseDefinition

JUDGE_AGENT = "eval-judge"
JUDGE_INSTRUCTIONS = (
    "You judge an AI agent's final answer against a rubric. Answer only with a JSON object "
    '{"pass": true or false, "reason": "one sentence why"}.'
)
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"pass": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["pass", "reason"],
}
JUDGE_WAIT = timedelta(minutes=5)


class JudgeVerdict(BaseModel):
    passed: bool = Field(alias="pass")
    reason: str = Field(max_length=2_000)


def judge_goal(rubric: str, goal: str, answer: str | None) -> str:
    text = f"Rubric:\n{rubric}\n\nThe agent's task:\n{goal}\n\nThe agent's final answer:\n"
    return text + (answer or "(no answer)")[: GOAL_MAX_CHARS - len(text) - 100]


@dataclass
class Judge:
    client: Client
    model: ModelSpec
    task_queue: str
    requester: str
    workspace: Path  # an empty directory: the judge has no tools, but a run has a workspace

    async def verdict(self, rubric: str, goal: str, answer: str | None) -> tuple[bool, str]:
        """Whether the judge passes the answer, and its reason naming the judge's run."""
        agent = AgentFile(
            name=JUDGE_AGENT,
            instructions=JUDGE_INSTRUCTIONS,
            model=self.model,
            output_schema=VERDICT_SCHEMA,
            budget=BudgetSpec(max_steps=4),
        )
        spec = run_spec(
            agent,
            self.workspace,
            goal=judge_goal(rubric, goal, answer),
            requester=self.requester,
            trace_id=secrets.token_hex(16),
        )
        run_id = f"{JUDGE_AGENT}-{secrets.token_hex(4)}"
        await start_spec(self.client, run_id, spec, self.task_queue)
        snapshot = await RunClient(self.client, run_id).wait_for(within=JUDGE_WAIT)
        if snapshot.state != RunState.COMPLETED:
            return False, f"judge run {run_id} ended {snapshot.state}: {snapshot.failure_reason}"
        try:
            verdict = JudgeVerdict.model_validate(json.loads(snapshot.final_answer or ""))
        except (ValueError, ValidationError):
            return False, f"judge run {run_id} gave no verdict"
        return verdict.passed, f"{verdict.reason} (judge run {run_id})"


@dataclass
class MeetsRubric(Evaluator[CaseDefinition, Observation, None]):
    judge: Judge

    async def evaluate(
        self, ctx: EvaluatorContext[CaseDefinition, Observation, None]
    ) -> dict[str, EvaluationReason]:
        criteria = ctx.inputs.judge
        if criteria is None:
            return {}
        passed, reason = await self.judge.verdict(
            criteria.rubric, ctx.inputs.goal, ctx.output.final_answer
        )
        name = " ".join(criteria.rubric.split())
        return {f"judge: {name[:60]}": EvaluationReason(value=passed, reason=reason)}
