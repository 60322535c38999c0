"""API tokens for teams without an identity provider: a YAML file of SHA-256 hashes.

    tokens:
      - user: alice
        groups: [ops]
        sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8

Only hashes are stored, so the file can be read by the service without handing out
credentials. `overseer approvals token add USER` makes a token and appends its hash.
"""

import hashlib
import hmac
import secrets
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from approvals.identity import Identity, NotAuthenticated
from contracts.errors import OverseerError, validation_problem
from contracts.identity import ActorId
from contracts.strict import Name, Sha256Hex, StrictBody
from starters.files.yaml_file import read_yaml

TOKEN_PREFIX = "ovr_"
# Longer than any token this service makes; longer ones are refused before hashing.
TOKEN_MAX_CHARS = 200
TOKENS_MAX = 10_000


class TokenEntry(StrictBody):
    user: ActorId
    groups: list[Name] = Field(default_factory=list, max_length=100)
    sha256: Sha256Hex


class TokensFile(BaseModel):
    tokens: list[TokenEntry] = Field(default_factory=list, max_length=TOKENS_MAX)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_tokens(path: Path) -> TokensFile:
    if not path.exists():
        return TokensFile()
    try:
        return TokensFile.model_validate(read_yaml(path, "tokens file"))
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error)}") from None


class TokenBook:
    """The tokens of one file, read once at start (restart the service to revoke)."""

    def __init__(self, path: Path) -> None:
        self._entries = {entry.sha256: entry for entry in load_tokens(path).tokens}

    def identify(self, token: str) -> Identity:
        if len(token) > TOKEN_MAX_CHARS:
            raise NotAuthenticated("the API token is too long")
        digest = token_hash(token)
        entry = self._entries.get(digest)
        # The lookup is by hash; comparing again in constant time costs nothing.
        if entry is None or not hmac.compare_digest(entry.sha256, digest):
            raise NotAuthenticated("the API token is not known")
        return Identity(entry.user, tuple(entry.groups), via="token")


def add_token(path: Path, user: str, groups: list[str]) -> str:
    """A new token for this user; its hash is appended to the file. The token is shown once."""
    book = load_tokens(path)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    book.tokens.append(TokenEntry(user=user, groups=groups, sha256=token_hash(token)))
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(book.model_dump(mode="json"), sort_keys=False)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)
    return token
