"""Activities that read payloads passed by reference: checking a stored answer against its
contract, looking inside a stored JSON output, and rendering a goal from stored inputs.
Workflow code never reads the artifact store itself."""

import json
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore, default_store
from activities.payloads import offload
from contracts.artifacts import INLINE_LIMIT_BYTES, ArtifactRef
from contracts.hashing import canonical_json
from contracts.output_contract import contract_violation
from contracts.pipeline_inputs import render_goal
from contracts.references import (
    JSON_MEDIA_TYPE,
    ContractCheck,
    ContractVerdict,
    GoalRequest,
    RenderedGoal,
    Resolved,
    ResolveRequest,
    by_reference,
    reference_in,
)

CHECK_CONTRACT_ACTIVITY = "artifacts.check_contract"
RESOLVE_ACTIVITY = "artifacts.resolve"
RENDER_GOAL_ACTIVITY = "artifacts.render_goal"
INPUT_MISSING = "InputMissing"


@dataclass
class ReferenceActivities:
    store: ArtifactStore = field(default_factory=default_store)

    async def _text(self, ref: ArtifactRef) -> str:
        return (await self.store.get(ref.sha256)).decode("utf-8")

    async def _load(self, value: Any) -> Any:
        """`value` with every tagged reference replaced by its content."""
        ref = reference_in(value)
        if ref is not None:
            text = await self._text(ref)
            return json.loads(text) if ref.media_type == JSON_MEDIA_TYPE else text
        if isinstance(value, dict):
            return {key: await self._load(item) for key, item in value.items()}
        if isinstance(value, list):
            return [await self._load(item) for item in value]
        return value

    async def _keep_small(self, value: Any) -> Any:
        """Small values travel inline; large ones go back to the store, by reference."""
        data = canonical_json(value).encode("utf-8")
        if len(data) <= INLINE_LIMIT_BYTES:
            return value
        return by_reference(await self.store.put(data, JSON_MEDIA_TYPE))

    @activity.defn(name=CHECK_CONTRACT_ACTIVITY)
    async def check_contract(self, check: ContractCheck) -> ContractVerdict:
        answer = await self._text(check.answer)
        return ContractVerdict(violation=contract_violation(answer, check.output_schema))

    @activity.defn(name=RESOLVE_ACTIVITY)
    async def resolve(self, request: ResolveRequest) -> Resolved:
        value = await self._load(by_reference(request.ref))
        for part in request.path:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                raise _missing(f"the stored output {request.ref} has nothing at {part!r}")
        if not request.as_list:
            return Resolved(value=await self._keep_small(value))
        if not isinstance(value, list):
            raise _missing(f"{'.'.join(request.path) or 'the stored output'} is not a list")
        return Resolved(value=[await self._keep_small(item) for item in value])

    @activity.defn(name=RENDER_GOAL_ACTIVITY)
    async def render_goal(self, request: GoalRequest) -> RenderedGoal:
        step_input = await self._load(request.input)
        goal = str(await self._load(request.goal))
        text = render_goal(request.template, goal, step_input) + request.suffix
        shown, ref = await offload(self.store, text)
        return RenderedGoal(text=shown, artifact=ref)


def _missing(message: str) -> ApplicationError:
    return ApplicationError(message, type=INPUT_MISSING, non_retryable=True)
