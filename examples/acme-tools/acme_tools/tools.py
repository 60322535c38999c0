"""Order lookup and refunds, declared with `overseer.tools.tool`.

The "payments system" is a JSON file in the run's workspace, so the example runs offline.
A refund is recorded under the call's idempotency key: a retried call (after a worker
crash, say) finds its refund already there and makes no second one.
"""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from overseer.tools import SideEffect, ToolContext, tool

ORDERS = "orders.json"
REFUNDS = "refunds.json"


class OrderQuery(BaseModel):
    order_id: str = Field(description="The order's id, e.g. A-1001")


class RefundInput(BaseModel):
    order_id: str = Field(description="The order to refund")
    amount_cents: int = Field(gt=0, le=1_000_000, description="How much to refund, in cents")
    reason: str = Field(default="", max_length=500)


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


@tool(side_effect=SideEffect.READ, summary_arg="order_id")
async def lookup_order(args: OrderQuery, ctx: ToolContext) -> str:
    """Look up an order: its customer, amount and status."""
    orders = _read(ctx.resolve(ORDERS))
    order = orders.get(args.order_id)
    if order is None:
        return f"no order {args.order_id}"
    return json.dumps({"order_id": args.order_id, **order}, sort_keys=True)


async def cancel_refund(args: RefundInput, ctx: ToolContext) -> str:
    """Undo a refund this call made (found by its idempotency key)."""
    path = ctx.resolve(REFUNDS)
    refunds = _read(path)
    if refunds.pop(ctx.idempotency_key, None) is None:
        return f"no refund of {args.order_id} to cancel"
    path.write_text(json.dumps(refunds, indent=2, sort_keys=True))
    return f"canceled the refund of {args.order_id}"


@tool(side_effect=SideEffect.IRREVERSIBLE, summary_arg="order_id", compensate=cancel_refund)
async def refund_order(args: RefundInput, ctx: ToolContext) -> str:
    """Refund (part of) an order. Money leaves the company: a human approves it."""
    path = ctx.resolve(REFUNDS)
    refunds = _read(path)
    if ctx.idempotency_key not in refunds:  # a retry of a call that already refunded
        refunds[ctx.idempotency_key] = args.model_dump()
        path.write_text(json.dumps(refunds, indent=2, sort_keys=True))
    return f"refunded {args.amount_cents} cents of order {args.order_id}"
