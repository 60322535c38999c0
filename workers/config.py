"""Worker configuration: concurrency, model pools and their rate limits, circuit breakers,
the user's tool modules.

Read from a YAML file (`overseer worker --config worker.yaml`); every field has a default.
"""

from datetime import timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from activities.providers.breaker import BreakerSettings
from contracts.errors import OverseerError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelPool(_Strict):
    """A task queue for model calls only, e.g. one per provider.

    Runs whose model names this `task_queue` send their model calls here; the worker
    serving it runs at most `max_concurrent` at once, and Temporal holds the whole fleet
    to `calls_per_second` on this queue.
    """

    task_queue: str = Field(min_length=1)
    max_concurrent: int = Field(default=4, ge=1)
    calls_per_second: float | None = Field(default=None, gt=0)


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    cooldown_seconds: float = Field(default=30.0, gt=0)

    def settings(self) -> BreakerSettings:
        return BreakerSettings(self.failure_threshold, timedelta(seconds=self.cooldown_seconds))


class WorkerConfig(_Strict):
    max_concurrent_activities: int = Field(default=100, ge=1)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    model_pools: list[ModelPool] = Field(default_factory=list)
    # Python modules whose tools this worker serves, besides the built-in ones and those
    # installed with an `overseer.tools` entry point (see activities/tools/registry.py).
    tools: list[str] = Field(default_factory=list, max_length=200)


def load_worker_config(path: Path | None) -> WorkerConfig:
    if path is None:
        return WorkerConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return WorkerConfig.model_validate(raw)
    except OSError as error:
        raise OverseerError(f"cannot read worker config {path}: {error.strerror}") from None
    except yaml.YAMLError:
        raise OverseerError(f"{path}: not valid YAML") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise OverseerError(f"{path}: {where}: {first['msg']}") from None
