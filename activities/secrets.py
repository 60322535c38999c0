"""Secrets, resolved by name on the worker: never part of workflow inputs, results or history.

A secret NAME is read from the environment variable OVERSEER_SECRET_<NAME> (upper case,
dashes as underscores), else from the JSON or YAML mapping in the file OVERSEER_SECRETS_FILE.
"""

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from temporalio.exceptions import ApplicationError

SECRETS_FILE_ENV = "OVERSEER_SECRETS_FILE"
SECRET_MISSING = "SecretMissing"


def env_name(secret: str) -> str:
    return "OVERSEER_SECRET_" + secret.upper().replace("-", "_")


def _from_file() -> Mapping[str, object]:
    path = os.environ.get(SECRETS_FILE_ENV)
    if not path:
        return {}
    text = Path(path).read_text(encoding="utf-8")
    loaded = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ApplicationError(
            f"{SECRETS_FILE_ENV} {path} does not hold a mapping of secret names to values",
            type=SECRET_MISSING,
            non_retryable=True,
        )
    return loaded


def resolve(names: Iterable[str]) -> dict[str, str]:
    """The values of these secrets; a missing one fails the call (an operator must add it)."""
    names = list(names)
    if not names:
        return {}
    from_file = _from_file()
    values = {}
    for name in names:
        value = os.environ.get(env_name(name)) or from_file.get(name)
        if not isinstance(value, str) or not value:
            raise ApplicationError(
                f"secret {name!r} is not configured on this worker "
                f"(set {env_name(name)} or add it to {SECRETS_FILE_ENV})",
                type=SECRET_MISSING,
                non_retryable=True,
            )
        values[name] = value
    return values


def scrub(text: str, secrets: Mapping[str, str]) -> str:
    """The text with every secret value replaced by its name, e.g. `[secret:webhook_token]`."""
    for name, value in secrets.items():
        text = text.replace(value, f"[secret:{name}]")
    return text
