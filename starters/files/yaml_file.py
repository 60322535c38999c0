"""Reading the YAML files users write (agent and pipeline files), with one-line errors."""

from pathlib import Path
from typing import Any

import yaml

from contracts.errors import OverseerError


def read_yaml(path: Path, what: str = "file") -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OverseerError(f"{what} {path} does not exist") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise OverseerError(f"{path}: not valid YAML{where}") from None
