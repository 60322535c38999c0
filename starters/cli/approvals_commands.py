"""`overseer approvals`: run the approval service, and make API tokens for it."""

import argparse
import socket
from pathlib import Path

from pydantic import ValidationError

from contracts.errors import OverseerError, validation_problem
from starters.cli.arguments import PORT, OneLineParser, actor_arg
from starters.client.connection import connect

EPILOG = """\
The approval service decides as the person it authenticated and signs with its key:
  overseer keys new approvals-2026 --service --out service-key.json
  (list the printed decision_keys in each agent's policy, with require_signed_decisions: true)
  overseer approvals token add alice --groups ops --file tokens.yaml
  overseer approvals serve --config approvals.yaml
Then, from a terminal: OVERSEER_APPROVALS_URL=http://127.0.0.1:8300
OVERSEER_APPROVALS_TOKEN=ovr_... overseer approve RUN
"""


def add_approvals_commands(sub: "argparse._SubParsersAction[OneLineParser]") -> None:
    group = sub.add_parser(
        "approvals",
        help="the approval service: serve it, make API tokens",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = group.add_subparsers(dest="approvals_command", required=True, metavar="VERB")
    p = verbs.add_parser("serve", help="run the approval service (JSON API, inbox, callbacks)")
    p.add_argument("--config", type=Path, required=True, help="the service's YAML file")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=PORT, default=8300, help="port (default 8300)")
    p.set_defaults(handler=cmd_approvals_serve)

    token = verbs.add_parser("token", help="API tokens (stored hashed)")
    token_verbs = token.add_subparsers(dest="token_command", required=True, metavar="VERB")
    p = token_verbs.add_parser("add", help="make a token for a user; it is printed once")
    p.add_argument("user", type=actor_arg, help="the person the token authenticates")
    p.add_argument("--groups", default="", help="their groups, comma-separated: ops,payments")
    p.add_argument("--file", type=Path, required=True, help="the tokens file (tokens_file:)")
    p.set_defaults(handler=cmd_approvals_token_add)


async def cmd_approvals_serve(args: argparse.Namespace) -> int:
    # Imported here: the rest of the CLI does not need FastAPI or uvicorn loaded.
    import uvicorn

    from approvals.app import create_app
    from approvals.config import load_service_config

    config = load_service_config(args.config)
    listener = _listen(args.host, args.port)
    app = create_app(config, client=await connect())
    print(f"approval service on http://{args.host}:{args.port} (API docs: /docs)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", proxy_headers=False))
    await server.serve(sockets=[listener])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a port in use is one line, not uvicorn's exit."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as error:
        raise OverseerError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return listener


async def cmd_approvals_token_add(args: argparse.Namespace) -> int:
    from approvals.tokens import add_token

    groups = [group.strip() for group in args.groups.split(",") if group.strip()]
    try:
        token = add_token(args.file, args.user, groups)
    except ValidationError as error:
        raise OverseerError(f"--groups: {validation_problem(error)}") from None
    print(f"added a token for {args.user} to {args.file}; it is shown this once:")
    print(token)
    return 0
