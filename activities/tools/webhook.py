"""`post_webhook`: POST a JSON payload to an HTTP endpoint, authenticated with a secret.

The bearer token is the secret `webhook_token`, resolved by the worker; the model, the
workflow and its history only ever see the secret's name.
"""

import httpx
from pydantic import BaseModel, Field, HttpUrl

from activities.tools.base import ToolContext, ToolDefinition
from contracts.tools import SideEffect

TOKEN = "webhook_token"
TIMEOUT_SECONDS = 30


class PostWebhookInput(BaseModel):
    url: HttpUrl = Field(description="The endpoint (http or https)")
    payload: dict[str, object] = Field(default_factory=dict, description="JSON body")


async def post_webhook(args: PostWebhookInput, ctx: ToolContext) -> str:
    headers = {
        "Authorization": f"Bearer {ctx.secrets[TOKEN]}",
        # The receiver can drop a retried delivery it already has.
        "Idempotency-Key": ctx.idempotency_key,
    }
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
        response = await http.post(str(args.url), json=args.payload, headers=headers)
    response.raise_for_status()
    return f"HTTP {response.status_code}: {response.text[:2000]}"


POST_WEBHOOK = ToolDefinition(
    name="post_webhook",
    description="POST a JSON payload to a webhook URL (authenticated by the worker).",
    input_model=PostWebhookInput,
    side_effect=SideEffect.IRREVERSIBLE,
    run=post_webhook,
    summary_arg="url",
    secrets=(TOKEN,),
)
