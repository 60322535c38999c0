"""What a newcomer meets on the first day: an artifact found from any directory, event lines
that show where a payload went, numbers and durations that read as people write them."""

import asyncio
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.artifacts import DirectoryStore, default_root
from contracts.events import EventKind, RunEvent
from contracts.states import RunState
from contracts.text import clip, duration_text, number, usd
from starters.cli.render import event_line
from tests.conftest import venv_binary


def test_artifact_get_works_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No OVERSEER_ARTIFACTS: worker and CLI share the user's data directory, wherever
    # each of them was started.
    monkeypatch.delenv("OVERSEER_ARTIFACTS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    root = default_root()
    assert root == tmp_path / "data" / "overseer" / "artifacts"
    ref = asyncio.run(DirectoryStore(root).put(b"the whole answer", "text/plain"))
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    done = subprocess.run(
        [venv_binary("overseer"), "artifact", "get", str(ref)],
        cwd=elsewhere,
        env=dict(os.environ),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"the whole answer"


def test_an_event_line_shows_its_artifact_references() -> None:
    event = RunEvent(
        seq=7,
        at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        kind=EventKind.TOOL_RESULT,
        from_state=RunState.EXECUTING,
        to_state=RunState.EXECUTING,
        actor="system",
        model_version="1",
        policy_version="p-1",
        detail="read_file: 40 KB\x1b[2J",
        evidence=["call-1", "sha256:" + "ab" * 32],
    )
    line = event_line(event)
    assert line.endswith("[sha256:" + "ab" * 32 + "]")
    assert "\x1b" not in line and "\\x1b[2J" in line  # shown, not obeyed by the terminal


def test_numbers_durations_and_cut_texts_read_as_people_write_them() -> None:
    assert duration_text(timedelta(seconds=15.961011)) == "16 s"
    assert duration_text(timedelta(minutes=2, seconds=5)) == "2 min 5 s"
    assert duration_text(timedelta(hours=3)) == "3 h"
    assert usd(1.35e-05) == "$0.0000135"
    assert usd(2.5) == "$2.50"
    assert number(20000.0) == "20000" and number(2.5) == "2.5"
    assert clip('{"path": "out/report.md"}', 10) == '{"path": …'
    assert clip("short", 10) == "short"
