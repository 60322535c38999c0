"""Schedule definitions: `overseer schedule create` options, or a `schedules:` YAML file
applied with `overseer schedule apply` (paths relative to the file):

    schedules:
      - name: weekday-triage
        agent: demo.yaml
        goal: "Triage the notes; yesterday you said: {previous.final_answer}"
        cron: "0 7 * * 1-5"          # or every: 1h
        timezone: Europe/Berlin
        jitter: 5m
        overlap: skip                 # skip | buffer_one | cancel_other | allow_all
        catchup: 1h
        pause_after_failures: 3
"""

import re
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from contracts.errors import OverseerError, validation_problem
from contracts.identity import ActorId
from contracts.limits import GOAL_MAX_CHARS, PATH_MAX_CHARS
from contracts.schedules import PAUSE_AFTER_FAILURES_MAX, template_problem
from contracts.strict import StrictBody
from starters.files.yaml_file import read_yaml

Overlap = Literal[
    "skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"
]
OVERLAPS: tuple[Overlap, ...] = get_args(Overlap)
# A schedule's name becomes its runs' id prefix: what a workflow id may safely hold.
ScheduleName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
_DURATION = re.compile(r"^(\d{1,6})(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SCHEDULES_MAX = 500


def duration(text: str) -> timedelta:
    """`30s`, `5m`, `1h`, `2d`: a duration a person types."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text[:40]!r} is not a duration like 30s, 5m, 1h or 2d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0 or seconds > 366 * 86400:
        raise ValueError(f"{text!r} is not between 1s and 366d")
    return timedelta(seconds=seconds)


def duration_text(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


class ScheduleDefinition(StrictBody):
    name: ScheduleName
    agent: Annotated[str, StringConstraints(min_length=1, max_length=PATH_MAX_CHARS)]
    goal: Annotated[str, StringConstraints(min_length=1, max_length=GOAL_MAX_CHARS)]
    cron: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    every: str | None = None
    jitter: str | None = None
    timezone: Annotated[str, StringConstraints(max_length=100)] | None = None
    overlap: Overlap = "skip"
    catchup: str | None = None
    pause_after_failures: int | None = Field(default=None, ge=1, le=PAUSE_AFTER_FAILURES_MAX)
    requester: ActorId | None = None

    @field_validator("every", "jitter", "catchup")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        if value is not None:
            duration(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value[:40]!r} is not a time zone (e.g. Europe/Berlin)") from None
        return value

    @field_validator("goal")
    @classmethod
    def _goal_template(cls, goal: str) -> str:
        if not goal.strip():
            raise ValueError("must not be empty")
        if problem := template_problem(goal):
            raise ValueError(problem)
        return goal

    @model_validator(mode="after")
    def _one_timing(self) -> "ScheduleDefinition":
        if (self.cron is None) == (self.every is None):
            raise ValueError("give exactly one of cron and every")
        return self

    @property
    def timing(self) -> str:
        """How often, as a person reads it."""
        when = f"cron {self.cron}" if self.cron else f"every {self.every}"
        if self.timezone:
            when += f" ({self.timezone})"
        return when + (f", jitter {self.jitter}" if self.jitter else "")


class ScheduleFile(StrictBody):
    schedules: list[ScheduleDefinition] = Field(max_length=SCHEDULES_MAX)

    @model_validator(mode="after")
    def _unique_names(self) -> "ScheduleFile":
        names = [s.name for s in self.schedules]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedule {name!r} is defined twice")
        return self


def definition(**fields: Any) -> ScheduleDefinition:
    """A definition from command-line options; a bad one is one line naming the option."""
    try:
        return ScheduleDefinition.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise OverseerError(f"schedule: {validation_problem(error)}") from None


def load_schedule_file(path: Path) -> list[ScheduleDefinition]:
    raw = read_yaml(path, "schedule file")
    try:
        parsed = ScheduleFile.model_validate(raw)
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error, '(top level)')}") from None
    # Agent files are named relative to the schedule file, as agent files name workspaces.
    return [
        s.model_copy(update={"agent": str((path.parent / s.agent).resolve())})
        for s in parsed.schedules
    ]
