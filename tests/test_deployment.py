"""docker-compose.yml is valid compose (checked by the real compose binary, no engine needed)."""

import json
import subprocess
from pathlib import Path

from tests.conftest import venv_binary

REPO = Path(__file__).resolve().parent.parent


def test_docker_compose_config_is_valid() -> None:
    result = subprocess.run(
        [venv_binary("docker-compose"), "-f", "docker-compose.yml", "config", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == {"postgresql", "temporal", "temporal-ui", "overseer-worker"}
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    worker = services["overseer-worker"]
    assert worker["build"]["context"] == str(REPO)
    assert worker["command"] == ["overseer", "worker", "--log-format", "json"]
    assert worker["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert (REPO / "Dockerfile").is_file()
