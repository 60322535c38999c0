"""Signed decisions: the keys a policy trusts, the signature a decision carries, and the
exact bytes that are signed. Pure data; signing lives with the approval tools
(starters.client.signing) and verification in the workflow (workflows.run.signatures).

Ed25519: 32-byte public keys that fit on one line of an agent file, 64-byte deterministic
signatures, no parameters to get wrong, and verification is a fast, pure computation, as a
workflow task needs. Keys are written `ed25519:<base64url of the 32 raw bytes>`.
"""

import base64
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from contracts.compact import CompactSpec
from contracts.hashing import canonical_json
from contracts.identity import ActorId
from contracts.strict import Name, StrictBody

# What is signed starts with this line, so a decision signature can never be taken for a
# signature over anything else made with the same key.
SIGNED_DECISION_DOMAIN = "overseer-decision-v1"
# A signed decision is good for at most a day, and its clock may run this far ahead.
SIGNATURE_MAX_LIFETIME_SECONDS = 24 * 3600
SIGNATURE_CLOCK_SKEW_SECONDS = 300
# Keys one policy trusts at once (rotation: the old and the new one, per approval tool).
DECISION_KEYS_MAX = 32
# Groups one signed identity may carry.
SIGNED_GROUPS_MAX = 100
# Seconds since 1970 up to the year 2100: bounded, so no time arithmetic can overflow.
EPOCH_SECONDS_MAX = 4_102_444_800

PUBLIC_KEY_PREFIX = "ed25519:"
PublicKeyText = Annotated[str, StringConstraints(pattern=r"^ed25519:[A-Za-z0-9_-]{43}$")]
EpochSeconds = Annotated[int, Field(ge=0, le=EPOCH_SECONDS_MAX)]
SignedVerdict = Literal["approved", "rejected"]


def key_text(raw: bytes) -> str:
    """`ed25519:<base64url>` for 32 raw public key bytes."""
    return PUBLIC_KEY_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_bytes(text: str) -> bytes:
    """The 32 raw bytes of a PublicKeyText."""
    encoded = text.removeprefix(PUBLIC_KEY_PREFIX)
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def signature_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signature_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DecisionKey(CompactSpec):
    """A key a policy trusts to vouch for decisions.

    A service key (the approval service's) vouches for whoever the service authenticated,
    with their groups. A personal key (`overseer keys new`) names its owner: it vouches for
    that approver only, and never for groups.
    """

    public_key: PublicKeyText
    approver: ActorId | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # `decision_keys: {service-2026: "ed25519:..."}` is the short form of a service key.
        return {"public_key": value} if isinstance(value, str) else value


class DecisionSignature(StrictBody):
    """Carried by a Decision: which key signed, for how long, and the signature itself."""

    key_id: Name
    issued_at: EpochSeconds
    expires_at: EpochSeconds
    # 128 random bits: the same signed decision is accepted once.
    nonce: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    # The approver's groups, as the approval tool established them (service keys only).
    groups: list[Name] = Field(default_factory=list, max_length=SIGNED_GROUPS_MAX)
    # 64 bytes, base64url without padding.
    value: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{86}$")]


def signed_message(
    *,
    action_id: str,
    args_sha256: str,
    verdict: SignedVerdict,
    edited_sha256: str | None,
    approver: str,
    reason: str,
    signature: DecisionSignature,
) -> bytes:
    """The bytes an approval tool signs and the workflow verifies: everything the decision
    decides, and the reason the audit log will show. The run is named by the action id
    (`<run id>/<step>.<n>`), which is unique."""
    claims = {
        "action_id": action_id,
        "approver": approver,
        "args_sha256": args_sha256,
        "edited_sha256": edited_sha256 or "",
        "expires_at": signature.expires_at,
        "groups": sorted(signature.groups),
        "issued_at": signature.issued_at,
        "key_id": signature.key_id,
        "nonce": signature.nonce,
        "reason": reason,
        "verdict": verdict,
    }
    return f"{SIGNED_DECISION_DOMAIN}\n{canonical_json(claims)}".encode()
