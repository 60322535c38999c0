"""docker-compose.yml is valid compose (checked by the real compose binary, no engine needed)."""

import json
import subprocess
from pathlib import Path

from approvals.config import load_service_config
from tests.conftest import venv_binary
from workers.config import load_worker_config

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
    assert set(services) == {
        "postgresql",
        "temporal",
        "temporal-ui",
        "overseer-worker",
        "worker-payments",
        "approvals",
        "minio",
        "minio-bucket",
    }
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    worker = services["overseer-worker"]
    assert worker["build"]["context"] == str(REPO)
    json_logs = ["overseer", "worker", "--log-format", "json"]
    assert worker["command"] == [*json_logs, "--config", "deploy/worker.yaml"]
    assert worker["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert (REPO / "Dockerfile").is_file()
    # Workers share nothing but Temporal and the object store (MinIO, its bucket made first).
    for name in ("overseer-worker", "worker-payments"):
        assert services[name]["environment"]["OVERSEER_ARTIFACTS"] == "s3://overseer/artifacts"
        assert services[name]["environment"]["OVERSEER_S3_ENDPOINT"] == "http://minio:9000"
        assert "minio-bucket" in services[name]["depends_on"]
        assert not any(".overseer" in str(volume) for volume in services[name]["volumes"])
    payments = services["worker-payments"]
    assert payments["command"] == [*json_logs, "--config", "deploy/worker-payments.yaml"]
    # Only the payments workers hold the payments credentials.
    assert "OVERSEER_SECRET_PAYMENTS_API_KEY" in payments["environment"]
    assert not any(name.startswith("OVERSEER_SECRET_") for name in worker["environment"])
    approvals = services["approvals"]
    assert approvals["command"][:5] == ["overseer", "approvals", "serve", "--config", CONFIG]
    assert approvals["ports"][0]["target"] == 8300


CONFIG = "deploy/approvals.yaml"


def test_the_deployed_approval_service_config_loads() -> None:
    config = load_service_config(REPO / CONFIG)
    assert config.path(config.signing_key) == REPO / "deploy" / "approvals-key.json"
    assert config.tokens_file and config.oidc is None


def test_the_deployed_worker_configs_route_payments_to_their_own_workers() -> None:
    general = load_worker_config(REPO / "deploy" / "worker.yaml")
    payments = load_worker_config(REPO / "deploy" / "worker-payments.yaml")
    assert (general.serve, payments.serve) == ("all", "pools")
    assert general.tool_pools == payments.tool_pools  # both route refund_order the same way
    assert general.tool_routes().tools == {"refund_order": "overseer-payments"}
    # The image has the pooled tools: a worker whose pool names an unknown tool won't start.
    assert "./examples/acme-tools" in (REPO / "Dockerfile").read_text()
