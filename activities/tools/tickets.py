"""`create_ticket`: a real side effect, into a SQLite tracker in the workspace.

The ticket's idempotency key is unique in the tracker: a retried call (after a worker
crash, say) finds the ticket the first attempt made instead of making a second one.
"""

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from pydantic import BaseModel, Field

from activities.tools.base import ToolContext, ToolDefinition
from contracts.tools import SideEffect

TRACKER = Path(".tracker") / "tickets.sqlite"
# The tracker, not the input model, enforces the title's length: a title it refuses is a
# poison input (every attempt fails the same way) and ends the run as a dead letter.
SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


class CreateTicketInput(BaseModel):
    title: str = Field(description="One-line summary of the ticket")
    body: str = Field(default="", description="Details")


def tracker_path(workspace: Path) -> Path:
    return workspace / TRACKER


def _connect(workspace: Path) -> sqlite3.Connection:
    path = tracker_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    db.execute(SCHEMA)
    return db


async def create_ticket(args: CreateTicketInput, ctx: ToolContext) -> str:
    def insert() -> int:
        with contextlib.closing(_connect(ctx.workspace)) as db, db:
            db.execute(
                "INSERT INTO tickets (idempotency_key, title, body) VALUES (?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                (ctx.idempotency_key, args.title, args.body),
            )
            (ticket_id,) = db.execute(
                "SELECT id FROM tickets WHERE idempotency_key = ?", (ctx.idempotency_key,)
            ).fetchone()
        return int(ticket_id)

    return f"ticket #{await asyncio.to_thread(insert)}: {args.title}"


async def cancel_ticket(args: CreateTicketInput, ctx: ToolContext) -> str:
    def cancel() -> int:
        with contextlib.closing(_connect(ctx.workspace)) as db, db:
            row = db.execute(
                "SELECT id FROM tickets WHERE idempotency_key = ?", (ctx.idempotency_key,)
            ).fetchone()
            if row is None:
                return 0
            db.execute("UPDATE tickets SET status = 'canceled' WHERE id = ?", (row[0],))
        return int(row[0])

    ticket_id = await asyncio.to_thread(cancel)
    return f"canceled ticket #{ticket_id}" if ticket_id else "no ticket was created"


CREATE_TICKET = ToolDefinition(
    name="create_ticket",
    description="Open a ticket in the team's tracker.",
    input_model=CreateTicketInput,
    side_effect=SideEffect.IRREVERSIBLE,
    run=create_ticket,
    summary_arg="title",
    compensate=cancel_ticket,
)
