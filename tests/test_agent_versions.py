"""Agent versions: the same behaviour is the same version whatever the goal; a change of
instructions, model, policy or a tool's declaration is another; the version is on the
snapshot, every event after the run knows its tools, the search attribute, `overseer
status`, `overseer ls --version` and `overseer versions`."""

import asyncio
import os
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts import search_attributes as sa
from contracts.events import EventKind
from contracts.model_io import ScriptTurn
from contracts.spec import PolicySpec
from contracts.tools import ToolDeclaration
from contracts.versions import agent_version
from tests.helpers import closed, events, make_spec, start
from tests.test_readme_schedules import overseer

ANSWER = [ScriptTurn(say="done")]


def test_what_counts_toward_a_version(tmp_path: Path) -> None:
    base = make_spec(tmp_path, ANSWER)
    tool = ToolDeclaration(
        name="list_files", description="List files.", side_effect="read", activity_name="x"
    )
    version = agent_version(base, [tool])
    assert version.startswith("v") and len(version) == 13
    same = [
        base.model_copy(update={"goal": "another goal", "requester": "sam"}),
        base.model_copy(update={"workspace": "/elsewhere", "trace_id": "0" * 32}),
    ]
    assert {agent_version(spec, [tool]) for spec in same} == {version}
    changed = [
        base.model_copy(update={"instructions": "Be brief."}),
        base.model_copy(update={"policy": PolicySpec(version="p-2")}),
        base.model_copy(update={"model": base.model.model_copy(update={"version": "2"})}),
    ]
    assert len({agent_version(spec, [tool]) for spec in changed} | {version}) == 4
    redeclared = tool.model_copy(update={"description": "List the workspace's files."})
    assert agent_version(base, [redeclared]) != version


def test_a_version_does_not_change_with_how_history_stores_declarations(tmp_path: Path) -> None:
    # Declarations leave their defaults out of history (CompactModel); the version still
    # hashes every field, so an agent keeps the version it had before that change.
    declared = [
        ToolDeclaration(
            name="list_files", description="List files.", side_effect="read", activity_name="x"
        ),
        ToolDeclaration(
            name="write_file",
            description="Write a file.",
            side_effect="irreversible",
            activity_name="tool.write_file",
            compensation_activity="tool.write_file.compensate",
            input_schema={"type": "object"},
            summary_arg="path",
            secrets=["TOKEN"],
        ),
    ]
    assert "compensation_activity" not in declared[0].model_dump(mode="json")
    assert agent_version(make_spec(tmp_path, ANSWER), declared) == "v48c8fddb8411"


async def test_the_version_is_shown_listed_and_counted(
    env: WorkflowEnvironment, client: Client, worker: Worker, tmp_path: Path
) -> None:
    agent = f"versioned-{os.getpid()}"
    specs = [
        make_spec(tmp_path, ANSWER, agent=agent, goal="one"),
        make_spec(tmp_path, ANSWER, agent=agent, goal="two"),
        make_spec(tmp_path, ANSWER, agent=agent, goal="three", instructions="Be brief."),
    ]
    handles = [await start(client, spec, worker.task_queue) for spec in specs]
    finals = [(await closed(handle))[1] for handle in handles]
    versions = [final.agent_version for final in finals]
    assert versions[0] == versions[1] != versions[2] and all(versions)
    recorded = await events(handles[0])
    # Known from the first model call on, which declared the run's tools.
    first_turn = next(e.seq for e in recorded if e.kind is EventKind.MODEL_TURN)
    assert {e.agent_version for e in recorded if e.seq >= first_turn} == {versions[0]}
    attributes = (await handles[2].describe()).typed_search_attributes
    assert attributes.get(sa.AGENT_VERSION) == versions[2]
    assert attributes.get(sa.OUTCOME) == "ok" and attributes.get(sa.STEPS) == 1

    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_TASK_QUEUE": worker.task_queue,
    }
    code, out, err = await overseer(cli, ["overseer", "status", handles[0].id], tmp_path)
    assert code == 0 and f"version: {versions[0]}" in out, err
    async with asyncio.timeout(30):  # visibility catches up with the runs' ends
        while True:
            code, out, err = await overseer(cli, ["overseer", "versions", agent], tmp_path)
            if code == 0 and " 0 " in out.splitlines()[1] and len(out.splitlines()) == 4:
                break
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:3]}
    assert rows[versions[0]][1:4] == ["2", "0", "100%"] and rows[versions[2]][1] == "1"
    code, out, _ = await overseer(
        cli, ["overseer", "ls", "--agent", agent, "--version", versions[2]], tmp_path
    )
    assert handles[2].id in out and handles[0].id not in out
    code, _, err = await overseer(cli, ["overseer", "versions", "nobody-ran-this"], tmp_path)
    assert code != 0 and "no runs of agent 'nobody-ran-this'" in err
