"""Small README examples that are settings, not commands: each loads as what it claims."""

import os
import re
import shlex
from pathlib import Path

import yaml
from temporalio.testing import WorkflowEnvironment

from activities.artifact_stores.s3 import parse_location
from contracts.model_io import ModelSpec
from tests.test_readme_schedules import overseer

REPO = Path(__file__).resolve().parent.parent


def test_the_streaming_model_example_loads() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("**Watching a long step as it happens.**")
    block = re.search(r"```yaml\n(.*?)```", readme[start:], re.DOTALL)
    assert block is not None
    model = ModelSpec.model_validate(yaml.safe_load(block.group(1))["model"])
    assert model.stream and model.provider == "openai"


def test_the_many_machines_settings_name_the_store() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("**Workers on many machines**")
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.DOTALL)
    assert block is not None
    exported = {
        name: value
        for name, value in re.findall(r"^export (\w+)=(\S+)", block.group(1), re.MULTILINE)
    }
    location = parse_location(exported["OVERSEER_ARTIFACTS"], exported["OVERSEER_S3_ENDPOINT"])
    assert (location.bucket, location.prefix) == ("my-bucket", "overseer/")
    assert location.endpoint == "https://minio.internal:9000"


async def test_the_retention_command_runs_as_written(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("**Retention.**")
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.DOTALL)
    assert block is not None
    [line] = [text for text in block.group(1).splitlines() if text.strip()]
    cli = {
        **os.environ,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "OVERSEER_ARTIFACTS": str(tmp_path / "artifacts"),
    }
    code, out, err = await overseer(cli, shlex.split(line), tmp_path)
    assert code == 0, err
    assert "dry run" in out.lower() or "would" in out.lower(), out
