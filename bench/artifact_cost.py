"""What the artifact store costs a run: the directory store against the S3 store.

Three workers on one server: Overseer with its artifacts in a directory, Overseer with them
in S3 (moto's standalone server, the S3 HTTP API on localhost: real requests, signed and
parsed by boto3, though not S3's latency), and the bare baseline. Rounds alternate the
three; each figure is the median of its rounds. A run's artifacts (its conversation after
each model call) are counted from the store itself.
"""

import statistics
import sys
import uuid
from pathlib import Path

from bench.benchmark import SCRIPTS, Bench, Row, WorkerProcess
from tests.s3_server import running_s3_server


def _directory_usage(root: Path) -> tuple[int, int]:
    files = [path for path in root.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


async def artifact_store_cost(bench: Bench, runs: int, rounds: int) -> list[Row]:
    with running_s3_server() as s3:
        bucket = s3.new_bucket()
        directory = bench.workspace / "artifacts-cost"
        queues = {side: f"{side}-{uuid.uuid4().hex[:6]}" for side in ("dir", "s3", "bare")}
        overseer = [str(SCRIPTS / "overseer"), "worker"]
        workers = {
            "dir": WorkerProcess(
                overseer,
                bench.address,
                queues["dir"],
                bench.workspace,
                {"OVERSEER_ARTIFACTS": str(directory)},
            ),
            "s3": WorkerProcess(
                overseer,
                bench.address,
                queues["s3"],
                bench.workspace,
                s3.environment(bucket, "bench"),  # the bucket, endpoint and credentials
            ),
            "bare": WorkerProcess(
                [sys.executable, "-m", "bench.bare"], bench.address, queues["bare"], bench.workspace
            ),
        }
        try:
            await bench.workers_ready(list(workers.values()))
            samples: dict[str, list[tuple[float, float, float]]] = {side: [] for side in workers}
            for _ in range(rounds):
                for side, worker in workers.items():
                    samples[side].append(
                        await bench.batch(worker, queues[side], runs, bare=side == "bare")
                    )
        finally:
            for worker in workers.values():
                worker.stop()
        pages = (
            s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="bench/")
        )
        objects = [listed for page in pages for listed in page.get("Contents", [])]
    median = {
        side: [statistics.median(figure) for figure in zip(*batches, strict=True)]
        for side, batches in samples.items()
    }
    total = rounds * runs
    files, size = _directory_usage(directory)
    return [
        Row("artifact store: throughput, directory", median["dir"][0], median["bare"][0], "runs/s"),
        Row("artifact store: throughput, S3 (moto)", median["s3"][0], median["bare"][0], "runs/s"),
        Row(
            "artifact store: worker CPU per run, directory",
            median["dir"][1],
            median["bare"][1],
            "ms",
        ),
        Row(
            "artifact store: worker CPU per run, S3 (moto)",
            median["s3"][1],
            median["bare"][1],
            "ms",
        ),
        Row("artifact store: objects written per run, directory", files / total, float("nan"), ""),
        Row("artifact store: objects written per run, S3", len(objects) / total, float("nan"), ""),
        Row(
            "artifact store: bytes written per run, directory",
            size / total / 1024,
            float("nan"),
            "KB",
        ),
        Row(
            "artifact store: bytes written per run, S3",
            sum(o["Size"] for o in objects) / total / 1024,
            float("nan"),
            "KB",
        ),
    ]
