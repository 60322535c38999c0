"""workflows/ruff.toml (and contracts/ruff.toml, which extends it): code that runs in
workflows and reads the clock, draws random numbers or does I/O is refused by `make lint`
(part of `make test`), for every module under workflows/ and contracts/. Most of that code
is passed through the sandbox (workers/sandbox.py), where the SDK's runtime checks do not
reach it."""

import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sysconfig.get_path("scripts")) / "ruff"

NONDETERMINISTIC = {
    "from datetime import datetime\n\n\ndef f() -> object:\n    return datetime.now()\n": (
        "datetime.datetime.now"
    ),
    "import time\n\n\ndef f() -> object:\n    return time.monotonic()\n": "`time`",
    "import random\n\n\ndef f() -> object:\n    return random.random()\n": "`random`",
    "from uuid import uuid4\n\n\ndef f() -> object:\n    return uuid4()\n": "uuid.uuid4",
    "import os\n\n\ndef f() -> object:\n    return os.environ\n": "`os`",
    "from pathlib import Path\n\n\ndef f() -> object:\n    return Path('x').read_text()\n": (
        "`pathlib`"
    ),
}


def lint(source: str, as_file: str) -> subprocess.CompletedProcess[str]:
    # --stdin-filename: ruff applies the configuration that governs that path.
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--stdin-filename", as_file, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    "source", NONDETERMINISTIC, ids=[banned.strip("`") for banned in NONDETERMINISTIC.values()]
)
@pytest.mark.parametrize(
    "module", ["workflows/run/probe.py", "workflows/probe.py", "contracts/probe.py"]
)
def test_workflow_code_that_is_not_deterministic_is_refused(source: str, module: str) -> None:
    result = lint(source, module)
    assert result.returncode == 1, result.stdout
    assert "TID251" in result.stdout
    assert NONDETERMINISTIC[source] in result.stdout


def test_workflow_code_reading_time_from_temporal_passes() -> None:
    source = (
        "from temporalio import workflow\n\n\n"
        "def f() -> object:\n    return workflow.now(), workflow.uuid4(), workflow.random()\n"
    )
    result = lint(source, "workflows/run/probe.py")
    assert result.returncode == 0, result.stdout


def test_the_rule_is_for_code_that_runs_in_workflows_only() -> None:
    # An activity reads the clock and does I/O: that is what activities are for.
    [source] = [s for s, banned in NONDETERMINISTIC.items() if banned == "`time`"]
    assert lint(source, "activities/probe.py").returncode == 0
