"""A circuit breaker per provider endpoint, kept in the worker.

After `failure_threshold` consecutive transient failures the circuit opens: calls fail fast
for `cooldown`, without touching the provider. Then one call is let through; a success
closes the circuit, a failure opens it again.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.exceptions import ApplicationError

CIRCUIT_OPEN = "CircuitOpen"
LAST_ERROR_MAX_CHARS = 300

log = logging.getLogger("overseer.breaker")


@dataclass(frozen=True)
class BreakerSettings:
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)


@dataclass
class CircuitBreaker:
    endpoint: str
    settings: BreakerSettings
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    # Why the endpoint failed last: an open circuit names it, so a run blocked on it
    # shows a malformed answer apart from an endpoint that is down.
    last_error: str = ""

    def remaining(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.settings.cooldown.total_seconds() - self.clock())

    @property
    def is_open(self) -> bool:
        return self.remaining() > 0

    def before_call(self) -> None:
        """Fail fast while open. The workflow reads the wait and the last error from the
        error's details."""
        remaining = self.remaining()
        if remaining > 0:
            last = f"; last error: {self.last_error}" if self.last_error else ""
            raise ApplicationError(
                f"circuit open for {self.endpoint} after {self.failures} consecutive "
                f"failures; next try in {remaining:.1f}s{last}",
                remaining,
                self.last_error,
                type=CIRCUIT_OPEN,
                non_retryable=True,
            )

    def record_failure(self, error: str = "") -> bool:
        """Count a failure; True if it opened the circuit."""
        self.failures += 1
        self.last_error = error[:LAST_ERROR_MAX_CHARS]
        # Past the cool-down one trial call was let through: its failure reopens at once.
        if self.failures >= self.settings.failure_threshold or self.opened_at is not None:
            self.opened_at = self.clock()
            log.warning("circuit opened for %s after %d failures", self.endpoint, self.failures)
            return True
        return False

    def record_success(self) -> None:
        if self.opened_at is not None:
            log.info("circuit closed for %s", self.endpoint)
        self.failures = 0
        self.opened_at = None
        self.last_error = ""


@dataclass
class BreakerBoard:
    settings: BreakerSettings = field(default_factory=BreakerSettings)
    clock: Callable[[], float] = time.monotonic
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def for_endpoint(self, endpoint: str) -> CircuitBreaker:
        if endpoint not in self._breakers:
            self._breakers[endpoint] = CircuitBreaker(endpoint, self.settings, self.clock)
        return self._breakers[endpoint]
