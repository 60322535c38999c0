"""Small README examples that are settings, not commands: each loads as what it claims."""

import re
from pathlib import Path

import yaml

from contracts.model_io import ModelSpec

REPO = Path(__file__).resolve().parent.parent


def test_the_streaming_model_example_loads() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("**Watching a long step as it happens.**")
    block = re.search(r"```yaml\n(.*?)```", readme[start:], re.DOTALL)
    assert block is not None
    model = ModelSpec.model_validate(yaml.safe_load(block.group(1))["model"])
    assert model.stream and model.provider == "openai"
