"""bench/server_ops.py reads the dev server's persistence counters from its /metrics page."""

import re
import subprocess
import sys
from pathlib import Path

from bench.server_ops import requests_in

REPO = Path(__file__).resolve().parent.parent

PAGE = """\
# HELP persistence_requests persistence_requests counter
# TYPE persistence_requests counter
persistence_requests{namespace="all",operation="UpdateWorkflowExecution",otel_scope_name="temporal",persistence_driver="sqlite",service_name="history"} 1100
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",otel_scope_name="temporal",persistence_driver="sqlite",service_name="history"} 4
persistence_requests{namespace="all",operation="CreateTasks",otel_scope_name="temporal",persistence_driver="sqlite",service_name="matching"} 180
visibility_persistence_requests{namespace="default",operation="RecordWorkflowExecutionClosed",service_name="history",visibility_type="standard"} 100
persistence_latency_bucket{namespace="all",operation="CreateTasks",service_name="matching",le="0.001"} 170
persistence_requests_total_bogus{operation="CreateTasks",service_name="matching"} 9
service_requests{operation="StartWorkflowExecution",service_name="frontend"} 100
"""  # noqa: E501 - real lines of the server's page


def test_counts_are_summed_by_service_and_operation_over_other_labels() -> None:
    counts = requests_in(PAGE)

    assert counts[("history", "UpdateWorkflowExecution")] == 1104
    assert counts[("matching", "CreateTasks")] == 180
    assert counts[("history", "RecordWorkflowExecutionClosed")] == 100


def test_other_metrics_and_comments_are_not_counted() -> None:
    counts = requests_in(PAGE)

    assert set(counts) == {
        ("history", "UpdateWorkflowExecution"),
        ("matching", "CreateTasks"),
        ("history", "RecordWorkflowExecutionClosed"),
    }


def test_the_readme_names_only_options_the_benchmark_has() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("- **Benchmark.**")
    named = set(re.findall(r"`(--[a-z-]+)", readme[start : readme.index("\n## ", start)]))
    shown = subprocess.run(
        [sys.executable, "-m", "bench.benchmark", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert {"--production-sa-cache", "--phases", "--rounds"} <= named
    assert not [option for option in named if option not in shown]
    assert "server-ops" in re.sub(r"\s", "", shown)  # argparse wraps lines at hyphens
