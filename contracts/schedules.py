"""Scheduled runs: what a run started by a Temporal Schedule carries, its goal template, and
how its end counts toward pausing a schedule that keeps failing. Pure data.

A goal may name the schedule's time and the previous run's result; the run fills them in
when it starts (the previous run is read by an activity, so history pins what it saw):

    {scheduled_time}           2026-11-30T07:00:00Z
    {previous.final_answer}    the last ended run's final answer ("" if none)
    {previous.run_id}          its run id ("" if none)
    {previous.state}           its end state: completed, failed, ... ("none" if none)
"""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from contracts.compact import CompactSpec
from contracts.limits import GOAL_MAX_CHARS
from contracts.strict import Name

PLACEHOLDERS = (
    "{scheduled_time}",
    "{previous.final_answer}",
    "{previous.run_id}",
    "{previous.state}",
)
_ANY_PLACEHOLDER = re.compile(r"\{[A-Za-z_.]{1,40}\}")
# The previous answer is cut to this much in a goal: the goal stays a goal, not a log.
PREVIOUS_ANSWER_MAX_CHARS = 8_000
PAUSE_AFTER_FAILURES_MAX = 100

# How a scheduled run ended, as its schedule counts it (search attribute OverseerOutcome).
# Failed (or rolled back after a failure), an action rejected, or a budget run out: these
# count toward pause_after_failures; a completed or canceled run ends the streak.
Outcome = Literal["ok", "failed", "rejected", "budget_exhausted", "canceled"]
UNSUCCESSFUL: frozenset[str] = frozenset({"failed", "rejected", "budget_exhausted"})


def template_problem(goal: str) -> str | None:
    """None if every {...} in the goal is a known placeholder, else what is wrong."""
    unknown = sorted(set(_ANY_PLACEHOLDER.findall(goal)) - set(PLACEHOLDERS))
    if unknown:
        return f"unknown placeholder {unknown[0]} in the goal (known: {', '.join(PLACEHOLDERS)})"
    return None


class ScheduledRun(CompactSpec):
    """Set on the spec of every run a schedule starts."""

    schedule_id: Name
    # The goal as written, placeholders and all; RunSpec.goal is it filled in.
    goal_template: str = Field(max_length=GOAL_MAX_CHARS)
    # Pause the schedule after this many unsuccessful runs in a row (None: never).
    pause_after_failures: int | None = Field(default=None, ge=1, le=PAUSE_AFTER_FAILURES_MAX)

    @field_validator("goal_template")
    @classmethod
    def _known_placeholders(cls, goal: str) -> str:
        if problem := template_problem(goal):
            raise ValueError(problem)
        return goal

    @property
    def reads_previous(self) -> bool:
        return "{previous." in self.goal_template


class PreviousRun(BaseModel):
    """The schedule's last ended run before this one, as an activity read it."""

    run_id: str = ""
    state: str = "none"
    final_answer: str = ""


def filled_goal(template: str, scheduled_time: datetime, previous: PreviousRun) -> str:
    """The goal with its placeholders filled in: plain replacement (never str.format, which
    would let a goal reach attributes), each placeholder once, in one pass."""
    values = {
        "{scheduled_time}": scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "{previous.final_answer}": previous.final_answer[:PREVIOUS_ANSWER_MAX_CHARS],
        "{previous.run_id}": previous.run_id,
        "{previous.state}": previous.state,
    }
    pattern = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
    return pattern.sub(lambda match: values[match.group(0)], template)[: GOAL_MAX_CHARS * 2]


class FailureCheck(BaseModel):
    """Input of the activity that pauses a schedule after too many unsuccessful runs."""

    schedule_id: str
    run_id: str
    outcome: Outcome
    threshold: int


class FailureVerdict(BaseModel):
    paused: bool
    # The outcomes counted, newest first (this run's included).
    streak: list[str] = Field(default_factory=list)
    note: str = ""
