"""The run's state and its append-only event log. Pure code: the workflow passes in time."""

from collections.abc import Iterable
from datetime import datetime

from contracts.events import EventKind, RunEvent
from contracts.redaction import redact
from contracts.spec import RunSpec
from contracts.states import RunState
from workflows.run.state_machine import check_transition


class RunLedger:
    def __init__(self, spec: RunSpec) -> None:
        carried = spec.carried
        self.state = carried.state if carried else RunState.CREATED
        # Only this segment's events (earlier ones are archived, see contracts.run_log).
        self.events: list[RunEvent] = list(carried.events) if carried else []
        if self.events:
            self._archived_through = self.events[0].seq - 1
        else:
            self._archived_through = carried.last_seq if carried else 0
        # The model version as last reported by the provider (starts as the spec's).
        self.model_version = carried.model_version if carried else spec.model.version
        self.policy_version = spec.policy.version
        self.agent_version = spec.agent_version
        self.trace_id = spec.trace_id
        self.redact_patterns = spec.policy.redact_patterns

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else self._archived_through

    def transition(
        self,
        target: RunState,
        *,
        at: datetime,
        actor: str,
        detail: str = "",
        evidence: Iterable[str] = (),
    ) -> RunEvent:
        """Move to `target` (checked against the table) and record it."""
        check_transition(self.state, target)
        event = self._append(EventKind.TRANSITION, at, actor, target, detail, evidence)
        self.state = target
        return event

    def note(
        self,
        kind: EventKind,
        *,
        at: datetime,
        actor: str,
        detail: str = "",
        evidence: Iterable[str] = (),
    ) -> RunEvent:
        """Record something that happened without a change of state."""
        return self._append(kind, at, actor, self.state, detail, evidence)

    def after(self, seq: int) -> list[RunEvent]:
        """This segment's events after `seq`."""
        # Sequence numbers have no gaps, so they index the list directly.
        return self.events[max(seq - self._archived_through, 0) :]

    def archived_through(self, seq: int) -> None:
        """Events up to `seq` are in the artifact store now: drop them from the state."""
        self.events = self.after(seq)
        self._archived_through = max(seq, self._archived_through)

    def _append(
        self,
        kind: EventKind,
        at: datetime,
        actor: str,
        target: RunState,
        detail: str,
        evidence: Iterable[str],
    ) -> RunEvent:
        event = RunEvent(
            seq=self.last_seq + 1,
            at=at,
            kind=kind,
            from_state=self.state,
            to_state=target,
            actor=actor,
            model_version=self.model_version,
            policy_version=self.policy_version,
            agent_version=self.agent_version,
            evidence=list(evidence),
            trace_id=self.trace_id,
            # Details are for people: emails, key-like tokens and the policy's patterns go.
            detail=redact(detail, self.redact_patterns),
        )
        self.events.append(event)
        return event
