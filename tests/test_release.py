"""Canaries: a candidate on a share of new runs, recorded in each run; it halts itself when
its runs fail more than stable's, and new runs go back to stable; promote and rollback."""

import os
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.release import RELEASE_WORKFLOW, ReleaseView, release_workflow_id
from contracts.states import RunState
from starters.client.releases import ReleaseClient, takes_candidate
from starters.client.runs import start_run
from starters.files.agent_file import load_agent_file, run_spec
from tests.helpers import closed, history_event_types
from tests.test_decisions import refused
from tests.test_readme_schedules import overseer

STABLE = """\
name: {name}
workspace: ws
tools: [list_files]
model: {{provider: scripted, script: [{{say: "Done."}}]}}
"""
FAILING = """\
name: {name}
workspace: ws
tools: [list_files]
model:
  provider: scripted
  script:
    - say: Looking.
      tool_calls: [{{tool: list_files, args: {{path: "."}}}}]
    - say: Done.
policy: {{on_budget_exhausted: fail}}
budget: {{max_steps: 1}}
"""


def test_the_share_is_a_stable_function_of_the_run_id() -> None:
    ids = [f"run-{n}" for n in range(2000)]
    share = sum(takes_candidate(run_id, 10) for run_id in ids) / len(ids)
    assert 0.07 < share < 0.13
    assert all(takes_candidate(run_id, 100) for run_id in ids[:50])
    assert not any(takes_candidate(run_id, 0) for run_id in ids[:50])
    assert [takes_candidate(i, 10) for i in ids[:100]] == [
        takes_candidate(i, 10) for i in ids[:100]
    ]


async def _run(client: Client, agent: Path, queue: str) -> tuple[str, str, RunState]:
    run_id, spec = await start_run(client, agent, "check", "rita", queue)
    _, final = await closed(client.get_workflow_handle(run_id))
    assert spec.release is not None
    return run_id, spec.release.role, final.state


async def test_a_failing_candidate_halts_itself(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    name = f"canaried-{os.getpid()}"
    (tmp_path / "ws").mkdir()
    stable, candidate = tmp_path / "stable.yaml", tmp_path / "candidate.yaml"
    stable.write_text(STABLE.format(name=name))
    candidate.write_text(FAILING.format(name=name))
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    code, _, err = await overseer(
        cli,
        ["overseer", "release", name, "--candidate", str(candidate), "--percent", "100",
         "--min-runs", "2", "--window", "4"],
        tmp_path,
    )  # fmt: skip
    assert code != 0 and "--reason" in err
    code, out, err = await overseer(
        cli,
        ["overseer", "release", name, "--candidate", str(candidate), "--percent", "100",
         "--min-runs", "2", "--window", "4", "--reason", "a shorter budget"],
        tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "candidate: v" in out and "on 100% of new runs" in out

    first = await _run(client, stable, worker.task_queue)
    second = await _run(client, stable, worker.task_queue)
    assert [first[1:], second[1:]] == [("candidate", RunState.FAILED)] * 2
    view = await ReleaseClient(client, name).view()
    assert isinstance(view, ReleaseView) and view.status == "halted" and view.percent == 0
    assert "halted: candidate" in view.notes[-1].text and "2 unsuccessful of its last 2" in (
        view.notes[-1].text
    )
    after = await _run(client, stable, worker.task_queue)
    assert after[1:] == ("stable", RunState.COMPLETED)  # back on stable

    code, out, _ = await overseer(cli, ["overseer", "release", name], tmp_path)
    assert "release of" in out and "halted" in out
    code, out, err = await overseer(
        cli, ["overseer", "release", name, "--rollback", "--reason", "done"], tmp_path
    )
    assert code == 0 and "rolled_back" in out, err
    code, _, err = await overseer(
        cli, ["overseer", "release", name, "--promote", "--reason", "x"], tmp_path
    )
    assert code != 0 and "no candidate to promote" in err


async def test_promotion_makes_the_candidate_stable(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    name = f"promoted-{os.getpid()}"
    (tmp_path / "ws").mkdir()
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(STABLE.format(name=name).replace("Done.", "Done, better."))
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    code, out, err = await overseer(
        cli,
        ["overseer", "release", name, "--candidate", str(candidate), "--percent", "100",
         "--reason", "try it"],
        tmp_path,
    )  # fmt: skip
    assert code == 0, err
    run = await _run(client, candidate, worker.task_queue)
    assert run[1:] == ("candidate", RunState.COMPLETED)
    code, out, err = await overseer(
        cli, ["overseer", "release", name, "--promote", "--reason", "it works"], tmp_path
    )
    assert code == 0 and "promoted" in out, err
    view = await ReleaseClient(client, name).view()
    assert view is not None and view.stable_version and not view.candidate_version
    wrong = tmp_path / "other.yaml"
    wrong.write_text(STABLE.format(name="someone-else"))
    code, _, err = await overseer(
        cli,
        ["overseer", "release", name, "--candidate", str(wrong), "--reason", "x"],
        tmp_path,
    )
    assert code != 0 and "not" in err and err.count("\n") == 1


async def test_a_forged_candidate_is_refused_without_a_trace(
    client: Client, worker: Worker, tmp_path: Path
) -> None:

    name = f"forged-{os.getpid()}"
    handle = await client.start_workflow(
        RELEASE_WORKFLOW,
        ReleaseView(agent=name),
        id=release_workflow_id(name),
        task_queue=worker.task_queue,
    )
    body = {
        "spec_json": "{not json",
        "version": "v1",
        "percent": 100.0,
        "by": "mallory",
        "reason": "x",
    }
    await handle.query("release")  # its first workflow task is done: history is still now
    before = await history_event_types(handle)
    assert "spec_json is not a run spec" in await refused(handle, "set_candidate", body)
    other = STABLE.format(name="someone-else")
    (tmp_path / "ws").mkdir()
    (tmp_path / "other.yaml").write_text(other)
    agent, workspace = load_agent_file(tmp_path / "other.yaml")
    spec = run_spec(agent, workspace, goal="g", requester="mallory", trace_id="")
    body["spec_json"] = spec.model_dump_json()
    assert "is agent 'someone-else'" in await refused(handle, "set_candidate", body)
    assert await history_event_types(handle) == before
    await handle.terminate("done")
