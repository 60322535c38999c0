"""What every route of the approval service needs, on `app.state.service`. Apart from the
app that builds it (approvals.app), so the routers can name it without importing the app."""

from dataclasses import dataclass

from fastapi import FastAPI

from approvals.auth import Authenticator
from approvals.config import ServiceConfig
from approvals.desk import ApprovalDesk


@dataclass
class Service:
    """What every route needs; on `app.state.service`."""

    config: ServiceConfig
    desk: ApprovalDesk
    authenticator: Authenticator
    # Keys session cookies and CSRF tokens.
    session_secret: bytes


def service(app: FastAPI) -> Service:
    found: Service = app.state.service
    return found
