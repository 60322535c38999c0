"""The README's "Shipping agents: versions, canaries and worker deploys", run as written on
the repo's demo agents: versions of finished runs, a release from candidate to promotion and
rollback, and a versioned-worker rollout with replay-check before it (on a task queue of its
own, so the other tests' unversioned worker is not displaced)."""

import asyncio
import os
import re
import shlex
import shutil
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.approvals import Decision
from contracts.release import release_workflow_id
from contracts.states import RunState
from starters.client.deployments import describe_deployment
from starters.client.runs import start_run
from tests.conftest import venv_binary
from tests.helpers import closed, wait_for_state
from tests.test_readme_schedules import overseer

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Shipping agents: versions, evaluation suites, canaries and worker deploys"


def readme_blocks() -> list[list[list[str]]]:
    readme = (REPO / "README.md").read_text()
    start = readme.index(SECTION)
    text = readme[start : readme.index("\n## ", start + 1)]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [
        [shlex.split(line.split("  #")[0]) for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


async def _finished_demo_run(client: Client, tmp_path: Path, queue: str) -> str:
    run_id, _ = await start_run(client, tmp_path / "agents" / "demo.yaml", "report", "rita", queue)
    handle = client.get_workflow_handle(run_id)
    request = (await wait_for_state(handle, RunState.WAITING_FOR_APPROVAL)).pending_approvals[0]
    await handle.execute_update(
        "approve",
        Decision(action_id=request.action_id, args_sha256=request.args_sha256, approver="alice"),
    )
    _, final = await closed(handle)
    return final.agent_version


async def test_the_versions_and_release_examples(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    versions, _, releases, _ = readme_blocks()
    shutil.copytree(REPO / "agents", tmp_path / "agents")
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    version = await _finished_demo_run(client, tmp_path, worker.task_queue)
    async with asyncio.timeout(30):  # visibility catches up with the run's end
        while True:
            code, out, err = await overseer(cli, versions[0], tmp_path)
            assert code == 0, err
            if version in out and "100%" in out:
                break
    code, out, err = await overseer(
        cli, [a.replace("VERSION", version) for a in versions[1]], tmp_path
    )
    assert code == 0 and "file-reporter" in out, err

    candidate, status, promote, rollback = releases
    try:
        for argv in (candidate, status, rollback, candidate, promote):
            code, out, err = await overseer(cli, argv, tmp_path)
            assert code == 0, (argv, err)
        assert "release of file-reporter: promoted" in out and "rolled back" in out
    finally:
        await client.get_workflow_handle(release_workflow_id("file-reporter")).terminate("done")


async def test_the_evaluation_examples(
    env: WorkflowEnvironment, worker: Worker, tmp_path: Path
) -> None:
    _, evals, _, _ = readme_blocks()
    shutil.copytree(REPO / "agents", tmp_path / "agents")
    shutil.copytree(REPO / "evals", tmp_path / "evals")
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    expected_codes = [0, 0, 3, 3]  # the candidate's prompt breaks the cassette case
    outputs = []
    for argv, expected in zip(evals, expected_codes, strict=True):
        code, out, err = await overseer(cli, argv, tmp_path)
        assert code == expected, (argv, out, err)
        outputs.append(out)
    assert "passed, 0 failed" in outputs[0]
    assert (tmp_path / "eval.xml").is_file() and (tmp_path / "eval.json").is_file()
    assert "1 failed" in outputs[2]
    assert "pass rate" in outputs[3]
    suite_file = re.search(r"```yaml\n(name: demo.*?)```", _section_text(), re.DOTALL)
    assert suite_file is not None
    (tmp_path / "evals" / "readme.yaml").write_text(suite_file.group(1))
    code, out, err = await overseer(cli, ["overseer", "eval", "evals/readme.yaml"], tmp_path)
    assert code == 0 and "2 passed, 0 failed" in out, (out, err)


def _section_text() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index(SECTION)
    return readme[start : readme.index("\n## ", start + 1)]


async def test_the_worker_deploy_examples(
    env: WorkflowEnvironment, client: Client, tmp_path: Path
) -> None:
    _, _, _, deploys = readme_blocks()
    replay_check, new_worker, promote, status, rollback = deploys
    build = new_worker[new_worker.index("--build-id") + 1]
    assert promote[-1] == build
    queue = f"deploys-{uuid.uuid4().hex[:8]}"
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": queue,
    }
    code, out, err = await overseer(cli, replay_check, tmp_path)
    assert code == 0 and " replayed, 0 failed" in out, (out, err)

    workers: list[asyncio.subprocess.Process] = []

    async def started(argv: list[str], build_id: str) -> None:
        workers.append(
            await asyncio.create_subprocess_exec(
                venv_binary("overseer"), *argv[1:], env=cli, cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
        )  # fmt: skip
        async with asyncio.timeout(60):  # the server lists a version on its worker's first poll
            while True:
                try:
                    if (await describe_deployment(client, "overseer")).version(build_id):
                        return
                except Exception:
                    continue

    try:
        # The build before the README's, current: what its rollback goes back to.
        previous = [*new_worker[:-1], "2026-11-01"]
        await started(previous, "2026-11-01")
        code, _, err = await overseer(cli, [*promote[:-1], "2026-11-01"], tmp_path)
        assert code == 0, err
        await started(new_worker, build)
        for argv in (promote, status, rollback):
            code, out, err = await overseer(cli, argv, tmp_path)
            assert code == 0, (argv, err)
            if argv is status:
                assert build in out and "2026-11-01" in out
        deployment = await describe_deployment(client, "overseer")
        assert deployment.current == "2026-11-01"
    finally:
        for process in workers:
            process.terminate()
            await process.wait()
