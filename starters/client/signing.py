"""Signing decisions: an approver's personal key (`overseer keys new`) or the approval
service's key. The workflow verifies with the public key its policy lists
(workflows.run.signatures); what is signed is contracts.signing.signed_message.

A key file is JSON, written with mode 0600:
    {"key_id": "alice-2026", "approver": "alice", "private_key": "ed25519-private:<b64url>"}
"approver" is null for a service key (it vouches for whoever the service authenticated).
"""

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, Field, ValidationError

from contracts.approvals import ApprovalRequest, Decision, signed_bytes
from contracts.errors import OverseerError, validation_problem
from contracts.identity import ActorId
from contracts.signing import (
    DecisionSignature,
    SignedVerdict,
    key_text,
    signature_text,
)
from contracts.strict import Name

PRIVATE_PREFIX = "ed25519-private:"
# A signed decision is sent at once: five minutes covers a slow network and clock skew.
DEFAULT_LIFETIME_SECONDS = 300
KEY_FILE_MAX_BYTES = 4096


def default_keys_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "overseer" / "keys"


class _KeyFile(BaseModel):
    key_id: Name
    approver: ActorId | None = None
    private_key: str = Field(pattern=r"^ed25519-private:[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    approver: str | None  # None: a service key
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, key_id: str, approver: str | None) -> "SigningKey":
        return cls(key_id, approver, Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        try:
            with path.open("rb") as file:
                data = file.read(KEY_FILE_MAX_BYTES + 1)
        except OSError as error:
            raise OverseerError(f"cannot read key file {path}: {error.strerror}") from None
        if len(data) > KEY_FILE_MAX_BYTES:
            raise OverseerError(f"key file {path} is larger than {KEY_FILE_MAX_BYTES} bytes")
        try:
            parsed = _KeyFile.model_validate_json(data)
        except ValidationError as error:
            raise OverseerError(f"key file {path}: {validation_problem(error)}") from None
        raw = _b64decode(parsed.private_key.removeprefix(PRIVATE_PREFIX))
        return cls(parsed.key_id, parsed.approver, Ed25519PrivateKey.from_private_bytes(raw))

    def save(self, path: Path) -> None:
        """Write the key file, readable by its owner only; never over an existing file."""
        raw = self.private.private_bytes_raw()
        text = json.dumps(
            {
                "key_id": self.key_id,
                "approver": self.approver,
                "private_key": PRIVATE_PREFIX + _b64encode(raw),
            }
        )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise OverseerError(f"{path} exists: a key is never overwritten") from None
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text + "\n")

    @property
    def public_key(self) -> str:
        """`ed25519:<base64url>`, as a policy's decision_keys lists it."""
        return key_text(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def policy_entry(self) -> str:
        """The YAML lines that make a policy trust this key."""
        if self.approver is None:
            return f'decision_keys:\n  {self.key_id}: "{self.public_key}"'
        return (
            f"decision_keys:\n  {self.key_id}: "
            f'{{public_key: "{self.public_key}", approver: {json.dumps(self.approver)}}}'
        )

    def sign(
        self,
        decision: Decision,
        verdict: SignedVerdict,
        request: ApprovalRequest,
        *,
        groups: list[str] | None = None,
        lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
        now: float | None = None,
    ) -> Decision:
        """The decision with a signature over everything it decides."""
        if self.approver is not None and decision.approver != self.approver:
            raise OverseerError(
                f"key {self.key_id} is {self.approver}'s: it cannot sign as {decision.approver}"
            )
        # Signed in full: the short form (3.1) names no run.
        decision = decision.model_copy(update={"action_id": request.action_id})
        issued = int(now if now is not None else time.time())
        unsigned = DecisionSignature(
            key_id=self.key_id,
            issued_at=issued,
            expires_at=issued + lifetime_seconds,
            nonce=secrets.token_hex(16),
            groups=sorted(groups or []),
            value="A" * 86,
        )
        message = signed_bytes(decision, verdict, request.tool, unsigned)
        value = signature_text(self.private.sign(message))
        return decision.model_copy(
            update={"signature": unsigned.model_copy(update={"value": value})}
        )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
