"""What a model call's failed attempts leave for the attempt that answers (heartbeat
details; see activities/providers/attempts.py). The full path runs against a real server in
tests/test_model_faults.py; these pin the edge cases."""

import asyncio
import dataclasses
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.heartbeat import heartbeat_while
from activities.providers import attempts


def on_attempt(attempt: int, *details: Any) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=list(details))
    return env


@pytest.mark.parametrize(
    ("attempt", "details", "told"),
    [
        (1, [], ""),
        (
            3,
            [{"attempt": 2, "error": "openai returned HTTP 429: slow down"}],
            "openai returned HTTP 429: slow down",
        ),
        # Attempt 3 recorded nothing (a start-to-close timeout, a lost worker).
        (
            4,
            [{"attempt": 2, "error": "openai returned HTTP 429: slow down"}],
            "attempt 3 ended without an answer (timed out or its worker was lost)",
        ),
        (
            2,
            ["something else"],
            "attempt 1 ended without an answer (timed out or its worker was lost)",
        ),
    ],
)
def test_the_last_retry_error(attempt: int, details: list[Any], told: str) -> None:
    assert on_attempt(attempt, *details).run(attempts.last_retry_error) == told


def test_a_failure_is_recorded_with_its_attempt_and_bounded() -> None:
    env = on_attempt(2)
    sent: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: sent.append(details)
    env.run(attempts.record_failure, ApplicationError("x" * 5_000, type="ProviderUnavailable"))
    [(recorded,)] = sent
    assert recorded == {"attempt": 2, "error": "x" * attempts.ERROR_MAX_CHARS}


async def test_in_flight_heartbeats_carry_the_earlier_attempts_record() -> None:
    # A bare heartbeat would replace what attempt 1 left before this attempt answers.
    record = {"attempt": 1, "error": "openai timed out"}
    env = on_attempt(2, record)
    sent: list[tuple[Any, ...]] = []
    beaten = asyncio.Event()

    def on_heartbeat(*details: Any) -> None:
        sent.append(details)
        beaten.set()

    env.on_heartbeat = on_heartbeat

    async def provider() -> str:  # answers only once the activity has heartbeaten
        await asyncio.wait_for(beaten.wait(), timeout=10)
        return "answer"

    async def call() -> str:
        return await heartbeat_while(provider(), interval=0.01, details=attempts.carried())

    assert await env.run(call) == "answer"
    assert sent[0] == (record,)
