"""Pipeline files: the demo loads; mistakes are refused with the file and step named."""

from pathlib import Path

import pytest

from contracts.errors import OverseerError
from starters.files.pipeline_file import is_pipeline_file, load_pipeline_file

AGENTS = Path(__file__).resolve().parent.parent / "agents"


def load(path: Path) -> None:
    load_pipeline_file(path, goal="g", requester="rita", trace_id="")


def test_the_demo_pipeline_loads_with_its_agents() -> None:
    path = AGENTS / "demo-pipeline.yaml"
    assert is_pipeline_file(path)
    assert not is_pipeline_file(AGENTS / "demo.yaml")
    spec = load_pipeline_file(path, goal="Notes 1.2", requester="rita", trace_id="t" * 32)
    assert [(s.name, s.agent.agent, s.for_each) for s in spec.steps] == [
        ("research", "researcher", None),
        ("draft", "drafter", "research.items"),
        ("publish", "publisher", None),
        ("review", "reviewer", None),
    ]
    assert spec.steps[1].concurrency == 2
    assert spec.steps[1].on_failure == "skip"
    assert Path(spec.steps[0].agent.workspace) == (AGENTS / "demo-workspace").resolve()


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "{name: b, agent: drafter.yaml, input: {x: later}}",
            "step 'b' refers to 'later', which is not the goal, the fan-out item or an earlier",
        ),
        (
            "{name: b, agent: drafter.yaml, on_failure: fallback}",
            "step 'b': on_failure: fallback needs a fallback agent file",
        ),
        ("{name: b, agent: drafter.yaml, colour: red}", "steps.1.colour: Extra inputs"),
        ("{name: a, agent: drafter.yaml}", "step 'a' is named twice"),
    ],
)
def test_mistakes_are_refused_with_the_step_named(tmp_path: Path, step: str, message: str) -> None:
    for agent in ("drafter.yaml",):
        (tmp_path / agent).write_text((AGENTS / agent).read_text())
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nsteps:\n  - {{name: a, agent: drafter.yaml}}\n  - {step}\n")
    with pytest.raises(OverseerError) as refused:
        load(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)
