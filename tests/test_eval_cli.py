"""`overseer eval` as a user runs it: the CLI in a subprocess against the test server, each
case a real run on the test's worker."""

import asyncio
import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import yaml
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.events import EventKind
from contracts.states import RunState
from tests.conftest import venv_binary
from tests.helpers import events, snapshot

REPO = Path(__file__).resolve().parent.parent
DEMO_SUITE = REPO / "evals" / "demo.yaml"
BELOW_THRESHOLD = 3


async def overseer(env: WorkflowEnvironment, worker: Worker, *argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        venv_binary("overseer"),
        *argv,
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "OVERSEER_TASK_QUEUE": worker.task_queue,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 150)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def row(table: str, case: str) -> list[str]:
    [line] = [line for line in table.splitlines() if line.startswith(case + " ")]
    return line.split()


async def test_the_example_suite_passes_offline_with_reports(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    junit, report = tmp_path / "eval.xml", tmp_path / "eval.json"
    code, out, err = await overseer(
        env, worker, "eval", str(DEMO_SUITE), "--junit", str(junit), "--json", str(report)
    )
    assert code == 0, (out, err)
    assert out.splitlines()[0].split() == ["case", "expected", "observed", "verdict", "run", "id"]
    assert "4 passed, 0 failed" in out.splitlines()[-1]

    cases = json.loads(report.read_text())["cases"]
    assert [(c["case"], c["passed"]) for c in cases] == [
        ("writes-the-report", True),
        ("a-rejected-write-is-not-made", True),
        ("structured-answer", True),
        ("replays-the-recorded-run", True),
    ]
    for case in cases:  # every case is a real run, named in its table row
        assert row(out, case["case"])[-1] == case["run_id"]
        assert (await snapshot(client.get_workflow_handle(case["run_id"]))).state == "completed"
    judged = [c["expected"] for c in cases[0]["checks"] if c["expected"].startswith("judge:")]
    assert judged == ["judge: The answer says where the report was written."]

    # The suite decided the approvals, as itself, through the normal updates.
    written = client.get_workflow_handle(cases[0]["run_id"])
    approved = [e for e in await events(written) if e.kind == EventKind.APPROVED]
    assert [e.actor for e in approved] == ["user:eval:demo"]
    rejected = client.get_workflow_handle(cases[1]["run_id"])
    assert [e.actor for e in await events(rejected) if e.kind == EventKind.REJECTED] == [
        "user:eval:demo"
    ]
    assert (await snapshot(written)).requester == "eval:demo"

    suite = ElementTree.parse(junit).getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "4", "0")
    assert [t.get("name") for t in suite.iter("testcase")] == [c["case"] for c in cases]


def failing_suite(tmp_path: Path) -> Path:
    """The demo agent, with a case whose expectation it does not meet, a judge that fails
    another, and a threshold the suite then misses."""
    text = {
        "agent": str(REPO / "agents" / "demo.yaml"),
        "workspace": str(REPO / "evals" / "demo-workspace"),
        "threshold": 0.5,
        "judge": {"model": {"script": [{"say": '{"pass": false, "reason": "Too vague."}'}]}},
        "cases": [
            {
                "name": "expects-another-answer",
                "goal": "Summarize",
                "approve": "auto",
                "expect": {"answer": {"contains": "three items"}, "state": "completed"},
            },
            {
                "name": "judged-too-vague",
                "goal": "Summarize",
                "approve": "auto",
                "judge": {"rubric": "The answer lists the open items."},
            },
            {
                "name": "meets-its-bounds",
                "goal": "Summarize",
                "approve": "reject",
                "expect": {"max_steps": 8, "tools_not_called": ["write_file"]},
            },
        ],
    }
    path = tmp_path / "failing.yaml"
    path.write_text(yaml.safe_dump(text))
    return path


async def test_a_failing_case_fails_the_suite_with_its_row(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    junit, report = tmp_path / "eval.xml", tmp_path / "eval.json"
    code, out, err = await overseer(
        env,
        worker,
        "eval",
        str(failing_suite(tmp_path)),
        "--concurrency",
        "2",
        "--junit",
        str(junit),
        "--json",
        str(report),
    )
    assert code == BELOW_THRESHOLD, (out, err)
    assert out.splitlines()[-1] == "1 passed, 2 failed (pass rate 33%, threshold 50%)"
    cases = {c["case"]: c for c in json.loads(report.read_text())["cases"]}
    failed = cases["expects-another-answer"]
    assert (failed["expected"], failed["observed"]) == (
        "answer contains 'three items'",
        "'Done: the report is in out/report.md.'",
    )
    cells = row(out, "expects-another-answer")
    assert cells[-2:] == ["FAIL", failed["run_id"]]
    assert "'three" in cells  # the expectation it missed, in the table
    judged = cases["judged-too-vague"]
    assert judged["expected"].startswith("judge: The answer lists the open items.")
    assert judged["observed"].startswith("Too vague. (judge run eval-judge-")
    assert row(out, "meets-its-bounds")[-2] == "pass"
    run = client.get_workflow_handle(failed["run_id"])
    assert (await snapshot(run)).state == RunState.COMPLETED  # the run was fine; the case not

    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    failures = {t.get("name"): t.find("failure") for t in suite.iter("testcase")}
    assert failures["meets-its-bounds"] is None
    failure = failures["expects-another-answer"]
    assert failure is not None
    assert failure.get("message") == (
        "expected answer contains 'three items'; observed 'Done: the report is in out/report.md.'"
    )


async def test_compare_prints_the_differences_of_two_agents(
    env: WorkflowEnvironment, worker: Worker, tmp_path: Path
) -> None:
    # The new version of the demo agent writes its report somewhere else.
    agent = yaml.safe_load((REPO / "agents" / "demo.yaml").read_text())
    agent["workspace"] = str(REPO / "agents" / "demo-workspace")
    agent["model"]["script"][2]["tool_calls"][0]["args"]["path"] = "out/summary.md"
    new_agent = tmp_path / "demo-v2.yaml"
    new_agent.write_text(yaml.safe_dump(agent))
    suite = {
        "agent": str(REPO / "agents" / "demo.yaml"),
        "workspace": str(REPO / "evals" / "demo-workspace"),
        "cases": [
            {
                "name": "writes-the-report",
                "goal": "Summarize",
                "approve": "auto",
                "expect": {
                    "tools_called": [{"tool": "write_file", "args": {"path": "out/report.md"}}]
                },
            },
            {
                "name": "reads-the-notes",
                "goal": "Summarize",
                "expect": {"tools_called": ["read_file"]},
            },
        ],
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    old_agent = REPO / "agents" / "demo.yaml"
    code, out, err = await overseer(
        env, worker, "eval", "--compare", str(old_agent), str(new_agent), str(path)
    )
    assert code == BELOW_THRESHOLD, (out, err)
    lines = out.splitlines()
    assert lines[:2] == [f"old: {old_agent}", f"new: {new_agent}"]
    changed = next(line for line in lines if line.startswith("writes-the-report "))
    assert "now fails: expected calls write_file(path='out/report.md')" in changed
    same = next(line for line in lines if line.startswith("reads-the-notes "))
    assert same.endswith("same verdict")
    aggregate = next(line for line in lines if line.startswith("pass rate "))
    assert aggregate.startswith("pass rate 100% -> 50%; cost $0.0000 -> $0.0000; mean steps ")
    assert "mean latency " in aggregate
    assert lines[-2:] == [
        "old: 2 passed, 0 failed (pass rate 100%, threshold 100%)",
        "new: 1 passed, 1 failed (pass rate 50%, threshold 100%)",
    ]
