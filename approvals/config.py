"""The approval service's settings: one YAML file (`overseer approvals serve --config`).

signing_key: service-key.json          # overseer keys new approvals-2026 --service
public_url: https://approvals.example   # links in notifications and pages
oidc:                                   # bearer JWTs from your identity provider
  jwks_url: https://idp.example/.well-known/jwks.json   # or jwks_file: jwks.json
  issuer: https://idp.example
  audience: overseer
  user_claim: preferred_username
  groups_claim: groups
tokens_file: tokens.yaml                # API tokens, stored hashed
proxy:                                  # an SSO proxy in front of the service
  user_header: X-Forwarded-User
  groups_header: X-Forwarded-Groups
  trusted_addresses: [127.0.0.1]
slack:
  signing_secret_env: SLACK_SIGNING_SECRET
  users: {U024BE7LH: alice}
"""

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, StringConstraints, ValidationError, model_validator

from contracts.errors import OverseerError, validation_problem
from contracts.identity import ActorId
from contracts.limits import PATH_MAX_CHARS
from contracts.strict import Name, StrictBody
from starters.files.yaml_file import read_yaml

Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s]+$")]
HeaderName = Annotated[str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9-]+$")]
PathText = Annotated[str, StringConstraints(min_length=1, max_length=PATH_MAX_CHARS)]


class OidcConfig(StrictBody):
    jwks_url: Url | None = None
    jwks_file: PathText | None = None
    issuer: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    audience: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    user_claim: Name = "sub"
    groups_claim: Name = "groups"
    algorithms: list[Name] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    # Seconds of clock skew tolerated on exp / nbf / iat.
    leeway_seconds: int = Field(default=30, ge=0, le=600)
    # The JWKS is reread after this long, and at once for a key id it does not hold (key
    # rotation), but not more often than every jwks_refetch_seconds (unknown ids are cheap
    # to send).
    jwks_cache_seconds: int = Field(default=300, ge=0, le=86_400)
    jwks_refetch_seconds: float = Field(default=10.0, ge=0, le=3600)

    @model_validator(mode="after")
    def _one_source(self) -> "OidcConfig":
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError("oidc needs exactly one of jwks_url and jwks_file")
        return self

    @model_validator(mode="after")
    def _public_key_algorithms(self) -> "OidcConfig":
        # A JWKS holds public keys: an HMAC algorithm would let anyone who has the public
        # key sign tokens, and "none" signs nothing.
        for algorithm in self.algorithms:
            if algorithm.lower() == "none" or algorithm.upper().startswith("HS"):
                raise ValueError(f"algorithm {algorithm} is not allowed for OIDC tokens")
        return self


class ProxyConfig(StrictBody):
    user_header: HeaderName
    groups_header: HeaderName | None = None
    # Only requests from these peer addresses may assert a user by header.
    trusted_addresses: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        min_length=1, max_length=100
    )


class SlackUser(StrictBody):
    user: ActorId
    groups: list[Name] = Field(default_factory=list, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"user": value} if isinstance(value, str) else value


class SlackConfig(StrictBody):
    # The environment variable that holds Slack's signing secret (never the file itself).
    signing_secret_env: Name = "SLACK_SIGNING_SECRET"
    # Slack user id -> the Overseer identity that person decides as.
    users: dict[Name, SlackUser] = Field(default_factory=dict, max_length=10_000)


class ServiceConfig(StrictBody):
    signing_key: PathText
    public_url: Url = "http://127.0.0.1:8300"
    oidc: OidcConfig | None = None
    tokens_file: PathText | None = None
    proxy: ProxyConfig | None = None
    slack: SlackConfig | None = None
    # Keys the browser session cookies and CSRF tokens; random per process when absent
    # (then several replicas must share one: set it from a secret file).
    session_secret_file: PathText | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)

    # Paths in the file are relative to the file's directory.
    _base_dir: Path = PrivateAttr(default=Path("."))

    def path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._base_dir / path

    @model_validator(mode="after")
    def _some_authentication(self) -> "ServiceConfig":
        if self.oidc is None and self.tokens_file is None and self.proxy is None:
            raise ValueError("configure at least one of oidc, tokens_file and proxy")
        return self


def load_service_config(path: Path) -> ServiceConfig:
    data = read_yaml(path, "approval service config")
    try:
        config = ServiceConfig.model_validate(data)
    except ValidationError as error:
        raise OverseerError(f"{path}: {validation_problem(error)}") from None
    config._base_dir = path.resolve().parent
    return config
