"""Eval suite files are read strictly: a bad one is refused in one line naming the field."""

import asyncio
import os
from pathlib import Path

import pytest

from contracts.errors import OverseerError
from starters.files.eval_suite import load_suite
from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent
CASE = "cases:\n  - name: one\n    goal: Summarize\n"


def suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"agent: {REPO / 'agents' / 'demo.yaml'}\n" + text)
    return path


def test_the_example_suite_reads_with_paths_resolved() -> None:
    loaded = load_suite(REPO / "evals" / "demo.yaml")
    assert loaded.name == "demo"
    assert loaded.agent == REPO / "agents" / "demo.yaml"
    assert [case.name for case in loaded.cases] == [
        "writes-the-report",
        "a-rejected-write-is-not-made",
        "structured-answer",
        "replays-the-recorded-run",
    ]
    assert loaded.cases[3].cassette == str(REPO / "evals" / "demo.cassette.json")
    # The suite's workspace seeds every case that names none.
    assert {case.workspace for case in loaded.cases} == {str(REPO / "evals" / "demo-workspace")}


def test_a_tool_name_is_short_for_a_tool_expectation(tmp_path: Path) -> None:
    text = CASE + "    expect: {tools_called: [list_files, {tool: read_file, args: {path: a}}]}\n"
    expect = load_suite(suite(tmp_path, text)).cases[0].expect
    assert [(t.tool, t.args) for t in expect.tools_called] == [
        ("list_files", {}),
        ("read_file", {"path": "a"}),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (CASE + "    expects: {}\n", "cases.0.expects: Extra inputs are not permitted"),
        (
            CASE + "    expect: {answer: {regex: 'a(b'}}\n",
            "cases.0.expect.answer.regex: not an RE2",
        ),
        (CASE + "    expect: {max_steps: '3'}\n", "cases.0.expect.max_steps: Input should be"),
        (CASE + "    expect: {state: done}\n", "cases.0.expect.state: Input should be"),
        (CASE + "    files: {../x: a.txt}\n", "cases.0.files: '../x' is not a relative path"),
        (CASE + "    cassette: c.json\n    script: [{say: hi}]\n", "give at most one of script"),
        (CASE + "    approve: sometimes\n", "cases.0.approve"),
        (CASE + "    approve: [{tool: write_file, verdict: maybe}]\n", "cases.0.approve"),
        (CASE + "    timeout: forever\n", "cases.0.timeout: 'forever' is not a duration"),
        (CASE + "    judge: {rubric: Is it kind}\n", "give the suite a judge"),
        (CASE + "  - name: one\n    goal: again\n", "case 'one' is defined twice"),
        ("threshold: 1.5\n" + CASE, "threshold: Input should be less than or equal to 1"),
        ("cases: []\n", "cases: List should have at least 1 item"),
        (
            CASE + "    expect: {answer: {json_schema: {type: nothing}}}\n",
            "not a valid JSON schema",
        ),
    ],
)
def test_a_bad_suite_is_refused_naming_the_field(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(OverseerError) as refused:
        load_suite(suite(tmp_path, text))
    message = str(refused.value)
    assert problem in message
    assert "\n" not in message and message.startswith(str(tmp_path / "suite.yaml"))


async def test_overseer_eval_refuses_a_bad_suite_in_one_line(tmp_path: Path) -> None:
    path = suite(tmp_path, CASE + "    expect: {tools_caled: [list_files]}\n")
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        "eval",
        str(path),
        # Refused before it connects: no server is needed to learn the file is wrong.
        env={**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:9"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert out == b""
    lines = err.decode().splitlines()
    assert lines == [
        f"overseer: error: {path}: cases.0.expect.tools_caled: Extra inputs are not permitted"
    ]
