"""Which trusted key vouches for a decision: signature verification inside the workflow.

Pure computation (an Ed25519 verification is about 100 microseconds and touches nothing
outside the process), so it runs in update validators and signal handlers, and a refusal
leaves no trace in history.
"""

from collections.abc import Mapping
from datetime import datetime

from temporalio import workflow

from contracts.approvals import ApprovalRequest, Decision, signed_bytes
from contracts.signing import (
    SIGNATURE_CLOCK_SKEW_SECONDS,
    SIGNATURE_MAX_LIFETIME_SECONDS,
    DecisionKey,
    DecisionSignature,
    SignedVerdict,
    key_bytes,
    signature_bytes,
)

with workflow.unsafe.imports_passed_through():
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class SignatureRefused(ValueError):
    """A signature that does not vouch for this decision; the message says why."""


class DecisionVerifier:
    def __init__(self, keys: Mapping[str, DecisionKey], required: bool) -> None:
        self._keys = dict(keys)
        self._required = required
        self._public: dict[str, Ed25519PublicKey] = {}

    @property
    def required(self) -> bool:
        return self._required

    def vouching_key(
        self, decision: Decision, verdict: SignedVerdict, request: ApprovalRequest, now: datetime
    ) -> str | None:
        """The id of the trusted key that signed exactly this decision; None for an unsigned
        decision the policy accepts. SignatureRefused otherwise."""
        signature = decision.signature
        if signature is None:
            if self._required:
                raise SignatureRefused(
                    "the policy requires signed decisions and this one is unsigned "
                    "(decide through the approval service, or sign with `--key`)"
                )
            return None
        key = self._keys.get(signature.key_id)
        if key is None:
            trusted = ", ".join(self._keys) or "none"
            raise SignatureRefused(
                f"key {signature.key_id!r} is not trusted by the policy (trusted: {trusted})"
            )
        _check_times(signature, now)
        if key.approver is not None:
            if decision.approver != key.approver:
                raise SignatureRefused(
                    f"key {signature.key_id!r} vouches for {key.approver!r} only, "
                    f"not for {decision.approver!r}"
                )
            if signature.groups:
                raise SignatureRefused(
                    f"key {signature.key_id!r} is a personal key and cannot vouch for groups"
                )
        message = signed_bytes(decision, verdict, request.tool, signature)
        try:
            public = self._public_key(signature.key_id, key)
            public.verify(signature_bytes(signature.value), message)
        except InvalidSignature:
            raise SignatureRefused(
                f"the signature of key {signature.key_id!r} does not match this decision "
                "(another action, run, verdict, approver or arguments, or a forgery)"
            ) from None
        return signature.key_id

    def _public_key(self, key_id: str, key: DecisionKey) -> Ed25519PublicKey:
        public = self._public.get(key_id)
        if public is None:
            try:
                public = Ed25519PublicKey.from_public_bytes(key_bytes(key.public_key))
            except ValueError:
                raise SignatureRefused(
                    f"key {key_id!r} of the policy is not an Ed25519 key"
                ) from None
            self._public[key_id] = public
        return public


def _check_times(signature: DecisionSignature, now: datetime) -> None:
    at = int(now.timestamp())
    if signature.expires_at <= signature.issued_at:
        raise SignatureRefused("the signature expires before it was issued")
    if signature.expires_at - signature.issued_at > SIGNATURE_MAX_LIFETIME_SECONDS:
        raise SignatureRefused(
            f"the signature is valid for {signature.expires_at - signature.issued_at} s, "
            f"more than {SIGNATURE_MAX_LIFETIME_SECONDS} s"
        )
    if signature.issued_at > at + SIGNATURE_CLOCK_SKEW_SECONDS:
        raise SignatureRefused(
            f"the signature was issued {signature.issued_at - at} s in the future"
        )
    if at >= signature.expires_at:
        raise SignatureRefused(f"the signature expired {at - signature.expires_at} s ago")


def signed_groups(decision: Decision) -> list[str]:
    return decision.signature.groups if decision.signature else []
