"""`overseer demo --auto-approve` end to end (its own embedded server, on free ports) leaves
the repository's `git status` as it found it: what a run writes is ignored, not tracked."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent
DEMO_SECONDS = 180  # the embedded server's start, the run, the server's stop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def git_status() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(
    shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout"
)
def test_the_demo_leaves_git_status_clean(tmp_path: Path) -> None:
    before = git_status()
    # From another directory: the embedded server's data (.overseer/) lands there, while the
    # demo agent's workspace is the repository's agents/demo-workspace.
    demo = subprocess.run(
        [venv_binary("overseer"), "demo", "--auto-approve", "--ui-port", str(free_port())],
        cwd=tmp_path,
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "OVERSEER_TASK_QUEUE": "demo-hygiene",
        },
        capture_output=True,
        text=True,
        timeout=DEMO_SECONDS,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "state:     completed" in demo.stdout
    assert "wrote" in demo.stdout  # the write_file call ran: the run wrote into its workspace
    assert git_status() == before
