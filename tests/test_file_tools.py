"""The file tools, run as their real activities, are confined to the workspace."""

from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.tools.activity import tool_activity
from activities.tools.registry import TOOLS
from contracts.tools import ToolInvocation, ToolResult

_clients: list[Client] = []


@pytest.fixture(autouse=True)
def server_client(client: Client) -> None:
    """Tool activities read the kill switches from the server before running."""
    _clients[:] = [client]


async def run_tool(name: str, workspace: Path, **args: str) -> ToolResult:
    invocation = ToolInvocation(
        run_id="run-1",
        call_id="call-1",
        idempotency_key="key-1",
        workspace=str(workspace),
        args=args,
    )
    result: ToolResult = await ActivityEnvironment(_clients[0]).run(
        tool_activity(TOOLS[name]), invocation
    )
    return result


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../secret.txt", "is outside the workspace"),
        ("/etc/passwd", "is absolute: give a path relative to the workspace"),
        ("sub/../../secret.txt", "is outside the workspace"),
    ],
)
async def test_read_file_refuses_paths_outside_the_workspace(
    tmp_path: Path, path: str, problem: str
) -> None:
    workspace = tmp_path / "ws"
    (workspace / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")
    with pytest.raises(ApplicationError) as refused:
        await run_tool("read_file", workspace, path=path)
    assert refused.value.type == "ToolRefused"
    assert refused.value.non_retryable
    assert refused.value.message == f"path {path!r} {problem}"


async def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (workspace / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ApplicationError, match="outside the workspace"):
        await run_tool("read_file", workspace, path="link.txt")


async def test_write_then_read_and_list_inside_the_workspace(tmp_path: Path) -> None:
    written = await run_tool("write_file", tmp_path, path="a/b.txt", content="héllo")
    assert written.output == "wrote 6 bytes to a/b.txt"
    assert (await run_tool("read_file", tmp_path, path="a/b.txt")).output == "héllo"
    assert (await run_tool("list_files", tmp_path, path="a")).output == "a/b.txt"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.txt"]  # no partial files


async def test_arguments_that_do_not_fit_the_input_model_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as refused:
        await run_tool("write_file", tmp_path, path="x.txt")
    assert refused.value.type == "ToolInputInvalid"
    assert refused.value.message == "invalid arguments for write_file: content: Field required"
