"""The approval service as an ASGI app: `overseer approvals serve` runs it on uvicorn."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from approvals import api
from approvals.auth import Authenticator
from approvals.config import ServiceConfig
from approvals.desk import ApprovalDesk
from approvals.inbox import router as inbox_router
from approvals.service import Service
from approvals.slack import check_slack
from approvals.slack import router as slack_router
from starters.client.connection import connect
from starters.client.signing import SigningKey


def session_secret(config: ServiceConfig) -> bytes:
    if config.session_secret_file is None:
        return secrets.token_bytes(32)
    return config.path(config.session_secret_file).read_bytes().strip()


def create_app(config: ServiceConfig, client: Client | None = None) -> FastAPI:
    """The app; it connects to Temporal on startup unless given a client (tests)."""
    signer = SigningKey.load(config.path(config.signing_key))
    # Built here, not on startup, so a bad tokens file, key or Slack setting is one line
    # before serving.
    authenticator = Authenticator(config)
    secret = session_secret(config)
    check_slack(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        temporal = client or await connect()
        app.state.service = Service(
            config=config,
            desk=ApprovalDesk(temporal, signer),
            authenticator=authenticator,
            session_secret=secret,
        )
        yield

    app = FastAPI(
        title="Overseer approval service",
        description="Pending approvals of Overseer runs, decided by authenticated people.",
        version="1",
        lifespan=lifespan,
    )
    api.install(app)  # the JSON API
    app.include_router(slack_router)  # Slack interactive callbacks
    app.include_router(inbox_router)  # the web inbox
    return app
