"""Hostile agent and pipeline files: each is refused with one line naming the file and the
field (or line), before anything is started; the demo files and honest variants still load."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from contracts.errors import OverseerError
from contracts.limits import SPEC_FILE_MAX_BYTES
from starters.files.preflight import check_run_file
from tests.conftest import venv_binary

AGENT = "name: a\ntools: [read_file]\n"
BILLION_LAUGHS = (
    'name: a\noutput_schema:\n  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
        for i in range(9)
    )
)


def nested(depth: int) -> str:
    return "name: a\noutput_schema: " + "{a: " * depth + "1" + "}" * depth + "\n"


def big_script(turns: int, chars: int) -> str:
    turn = f"    - say: {'x' * chars}\n"
    return "name: a\nmodel:\n  script:\n" + turn * turns


# (case id, file content, what the one-line message must name besides the file)
AGENT_CASES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    # Unknown keys, at every level.
    ("unknown-top", AGENT + "colour: red\n", ("colour", "Extra inputs")),
    ("unknown-policy", AGENT + "policy: {requir_approval: []}\n", ("policy.requir_approval",)),
    ("unknown-budget", AGENT + "budget: {max_stepz: 3}\n", ("budget.max_stepz",)),
    ("unknown-model", AGENT + "model: {nme: x}\n", ("model.nme",)),
    ("unknown-script-turn", AGENT + "model: {script: [{sya: hi}]}\n", ("model.script.0.sya",)),
    (
        "unknown-scripted-call",
        AGENT + "model: {script: [{tool_calls: [{tool: read_file, arg: {}}]}]}\n",
        ("model.script.0.tool_calls.0.arg",),
    ),
    (
        "unknown-price",
        AGENT + "model: {price: {input_per_mtok: 1, output_per_mtok: 1, per_call: 2}}\n",
        ("model.price.per_call",),
    ),
    ("unknown-retries", AGENT + "retries: {modle: {}}\n", ("retries.modle",)),
    ("unknown-activity-policy", AGENT + "retries: {tool: {max_attemps: 3}}\n", ("retries.tool",)),
    ("unknown-fallback-model", AGENT + "fallback_models: [{nme: x}]\n", ("fallback_models.0",)),
    # Duplicate keys, at any depth, with the line.
    ("duplicate-top", "name: a\nname: b\n", ("line 2", "duplicate key 'name'")),
    ("duplicate-nested", AGENT + "budget:\n  max_steps: 2\n  max_steps: 3\n", ("line 5",)),
    (
        "duplicate-in-schema",
        AGENT + "output_schema:\n  type: object\n  properties: {a: {}, a: {}}\n",
        ("line 5", "duplicate key 'a'"),
    ),
    ("duplicate-int-spelling", AGENT + "output_schema: {1: a, 0x1: b}\n", ("duplicate key 1",)),
    # Encodings.
    ("latin-1", b"name: a\ndescription: caf\xe9\n", ("line 2", "not UTF-8")),
    ("utf-16-bom", AGENT.encode("utf-16"), ("not UTF-8",)),
    ("utf-16-be-no-bom", AGENT.encode("utf-16-be"), ("not UTF-8",)),
    ("utf-32", AGENT.encode("utf-32"), ("not UTF-8",)),
    ("nul-byte", b"name: a\x00\n", ("not UTF-8",)),
    ("control-character", "name: a\x07\n", ("line 1", "character '\\x07'")),
    # Aliases, bombs and nesting.
    ("alias-bomb", BILLION_LAUGHS, ("line 4", "aliases")),
    ("alias", "name: &n a\ndescription: *n\n", ("line 2", "aliases")),
    ("deep-nesting", nested(100), ("line 2", "nested deeper")),
    ("very-deep-nesting", nested(100_000), ("line 2", "nested deeper")),
    # Size.
    ("huge-file", AGENT + "instructions: " + "x" * SPEC_FILE_MAX_BYTES + "\n", ("larger than",)),
    ("huge-instructions", AGENT + f"instructions: {'x' * 100_001}\n", ("instructions",)),
    ("too-large-spec", big_script(300, 1000), ("run spec is", "bytes")),
    ("long-description", AGENT + f"description: {'x' * 3000}\n", ("description",)),
    ("long-name", f"name: {'a' * 300}\n", ("name",)),
    # Not an agent at all.
    ("top-level-list", "- name: a\n", ("expected a mapping",)),
    ("top-level-scalar", "just some text\n", ("expected a mapping",)),
    ("empty-file", "", ("expected a mapping",)),
    ("two-documents", "name: a\n---\nname: b\n", ("line 2", "another document")),
    ("bad-yaml", "name: [a\n", ("line 2",)),
    ("list-as-key", AGENT + "? [a]\n: 1\n", ("line 3", "plain value")),
    ("huge-integer", AGENT + f"budget: {{max_steps: {'9' * 5000}}}\n", ("cannot be read",)),
    ("bad-date", AGENT + "description: 2024-13-45\n", ("cannot be read",)),
    # Output schemas.
    ("schema-bad-type", AGENT + "output_schema: {type: objekt}\n", ("output_schema", "type")),
    ("schema-required", AGENT + "output_schema: {required: x}\n", ("output_schema", "required")),
    ("schema-bad-regex", AGENT + "output_schema: {pattern: '(('}\n", ("output_schema", "regex")),
    ("schema-remote-ref", AGENT + "output_schema: {$ref: 'http://x/s'}\n", ("output_schema",)),
    ("schema-not-json", AGENT + "output_schema: {default: 2024-01-01}\n", ("output_schema",)),
    ("schema-list", AGENT + "output_schema: [1]\n", ("output_schema",)),
    # Tool names.
    ("unknown-tool", "name: a\ntools: [read_fil]\n", ("tools", "known: ", "read_file")),
    ("tools-not-list", "name: a\ntools: read_file\n", ("tools",)),
    ("unknown-approval-tool", AGENT + "policy: {require_approval: [wirte_file]}\n", ("policy",)),
    ("unknown-per-tool", AGENT + "retries: {per_tool: {nope: {}}}\n", ("retries", "nope")),
    # Numbers: strict, positive, finite, bounded.
    ("steps-string", AGENT + "budget: {max_steps: '5'}\n", ("budget.max_steps",)),
    ("steps-1e23", AGENT + "budget: {max_steps: 1e23}\n", ("budget.max_steps",)),
    ("steps-float", AGENT + "budget: {max_steps: 5.0}\n", ("budget.max_steps",)),
    ("steps-zero", AGENT + "budget: {max_steps: 0}\n", ("budget.max_steps",)),
    ("steps-negative", AGENT + "budget: {max_steps: -1}\n", ("budget.max_steps",)),
    ("steps-too-many", AGENT + "budget: {max_steps: 10001}\n", ("budget.max_steps",)),
    ("steps-bool", AGENT + "budget: {max_steps: true}\n", ("budget.max_steps",)),
    ("cost-nan", AGENT + "budget: {max_cost_usd: .nan}\n", ("budget.max_cost_usd",)),
    ("cost-inf", AGENT + "budget: {max_cost_usd: .inf}\n", ("budget.max_cost_usd",)),
    ("cost-1e308", AGENT + "budget: {max_cost_usd: 1e308}\n", ("budget.max_cost_usd",)),
    ("cost-string", AGENT + "budget: {max_cost_usd: '1.5'}\n", ("budget.max_cost_usd",)),
    ("wall-negative", AGENT + "budget: {max_wall_seconds: -5}\n", ("budget.max_wall_seconds",)),
    ("tokens-float", AGENT + "budget: {max_tokens: 1e10}\n", ("budget.max_tokens",)),
    ("tool-calls-huge", AGENT + "budget: {max_tool_calls: 1e9}\n", ("budget.max_tool_calls",)),
    (
        "approval-timeout-zero",
        AGENT + "policy: {approval_timeout_seconds: 0}\n",
        ("policy.approval_timeout_seconds",),
    ),
    ("four-eyes-string", AGENT + "policy: {four_eyes: 'yes'}\n", ("policy.four_eyes",)),
    ("expiry-unknown", AGENT + "policy: {on_approval_expiry: ignore}\n", ("policy.on_approval",)),
    ("model-timeout", AGENT + "model: {timeout_seconds: 1e9}\n", ("model.timeout_seconds",)),
    ("temperature", AGENT + "model: {temperature: 5}\n", ("model.temperature",)),
    ("output-tokens", AGENT + "model: {max_output_tokens: -1}\n", ("model.max_output_tokens",)),
    ("provider", AGENT + "model: {provider: skynet}\n", ("model.provider",)),
    (
        "price-negative",
        AGENT + "model: {price: {input_per_mtok: -1, output_per_mtok: 1}}\n",
        ("model.price",),
    ),
    ("repeat-huge", AGENT + "model: {script: [{repeat: 1000000000}]}\n", ("script.0.repeat",)),
    ("attempts", AGENT + "retries: {model: {max_attempts: 1000}}\n", ("retries.model",)),
    ("heartbeat-inf", AGENT + "retries: {tool: {heartbeat_seconds: .inf}}\n", ("retries.tool",)),
    ("output-retries-string", AGENT + "output_retries: '2'\n", ("output_retries",)),
    ("concurrent-zero", AGENT + "max_concurrent_runs: 0\n", ("max_concurrent_runs",)),
    ("name-number", "name: 5\n", ("name",)),
    ("name-path", "name: ../x\n", ("name",)),
    ("secret-empty", AGENT + "secrets: ['']\n", ("secrets.0",)),
    ("too-many-fallbacks", AGENT + "fallback_models: [" + "{}, " * 11 + "]\n", ("fallback",)),
    # Workspaces.
    ("workspace-root", AGENT + "workspace: /\n", ("workspace", "filesystem root")),
    ("workspace-etc", AGENT + "workspace: /etc\n", ("workspace", "top-level")),
    ("workspace-system", AGENT + "workspace: /etc/ssl\n", ("workspace", "inside /etc")),
    ("workspace-proc", AGENT + "workspace: /proc/self\n", ("workspace", "inside /proc")),
    ("workspace-up", AGENT + "workspace: " + "../" * 40 + "\n", ("workspace", "root")),
    ("workspace-missing", AGENT + "workspace: nowhere\n", ("workspace", "not a directory")),
    ("workspace-empty", AGENT + "workspace: ''\n", ("workspace",)),
    ("workspace-nul", AGENT + 'workspace: "a\\0b"\n', ("workspace",)),
    ("workspace-number", AGENT + "workspace: 7\n", ("workspace",)),
]


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def refused(path: Path) -> str:
    with pytest.raises(OverseerError) as caught:
        check_run_file(path, "the goal", "rita")
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{path}: ") or f" {path}" in message, message
    return message


@pytest.mark.parametrize(
    ("content", "names"), [case[1:] for case in AGENT_CASES], ids=[case[0] for case in AGENT_CASES]
)
def test_a_hostile_agent_file_is_refused_in_one_line(
    tmp_path: Path, content: str | bytes, names: tuple[str, ...]
) -> None:
    message = refused(write(tmp_path / "agent.yaml", content))
    for name in names:
        assert name in message, message


def test_the_home_directory_is_not_a_workspace(tmp_path: Path) -> None:
    home = Path.home().resolve()
    path = write(tmp_path / "agent.yaml", f"{AGENT}workspace: {home}\n")
    message = refused(path)
    assert "workspace" in message and str(home) in message


def test_a_missing_file_or_a_directory_is_refused(tmp_path: Path) -> None:
    assert "does not exist" in refused(tmp_path / "absent.yaml")
    (tmp_path / "dir.yaml").mkdir()
    assert "is a directory" in refused(tmp_path / "dir.yaml")


def test_a_goal_too_long_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "agent.yaml", AGENT)
    with pytest.raises(OverseerError, match=r"^--goal is 20001 characters, more than 20000$"):
        check_run_file(path, "g" * 20_001, "rita")


@pytest.mark.parametrize(
    "content",
    [
        "\ufeff" + AGENT,  # a UTF-8 BOM, as some Windows editors write
        AGENT + "description: &d plain\n",  # an anchor without an alias does nothing
        AGENT + "budget: {max_steps: 10000, max_cost_usd: 2, max_wall_seconds: 60}\n",
        AGENT
        + "output_schema: {type: object, $defs: {x: {}}, properties: {a: {$ref: '#/$defs/x'}}}",
        nested(20),
    ],
)
def test_honest_variants_still_load(tmp_path: Path, content: str) -> None:
    check_run_file(write(tmp_path / "agent.yaml", content), "the goal", "rita")


# Pipeline files: every step refers to the valid agent file a.yaml next to them.
PIPELINE = "name: p\nsteps:\n  - {name: s, agent: a.yaml}\n"
PIPELINE_CASES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("unknown-top", PIPELINE + "colour: red\n", ("colour",)),
    (
        "unknown-step-key",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, colour: r}\n",
        ("steps.0",),
    ),
    (
        "duplicate-step-key",
        "name: p\nsteps:\n  - name: s\n    agent: a.yaml\n    name: t\n",
        ("line 5", "duplicate key 'name'"),
    ),
    ("duplicate-top", PIPELINE + "name: q\n", ("line 4", "duplicate key")),
    (
        "step-schema",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, output_schema: {type: 5}}\n",
        ("steps.0.output_schema",),
    ),
    (
        "concurrency-string",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, concurrency: '2'}\n",
        ("steps.0.concurrency",),
    ),
    (
        "concurrency-1e23",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, concurrency: 1e23}\n",
        ("steps.0.concurrency",),
    ),
    ("handoffs-negative", PIPELINE + "max_handoffs: -1\n", ("max_handoffs",)),
    ("children-inf", PIPELINE + "continue_as_new_after_children: .inf\n", ("continue_as_new",)),
    ("no-steps", "name: p\nsteps: []\n", ("steps",)),
    ("alias", "name: &p p\ndescription: *p\nsteps: []\n", ("line 2", "aliases")),
    ("utf-16", PIPELINE.encode("utf-16"), ("not UTF-8",)),
    ("top-level-list", "- steps: []\n", ("expected a mapping",)),
    (
        "bad-agent-file",
        "name: p\nsteps:\n  - {name: s, agent: bad.yaml}\n",
        ("steps.0.agent: ", "bad.yaml: budget.max_stepz"),
    ),
    (
        "missing-agent-file",
        "name: p\nsteps:\n  - {name: s, agent: no.yaml}\n",
        ("steps.0.agent: ", "no.yaml does not exist"),
    ),
    (
        "input-number",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, input: {x: 5}}\n",
        ("steps.0.input.x",),
    ),
    (
        "for-each-number",
        "name: p\nsteps:\n  - {name: s, agent: a.yaml, for_each: 5}\n",
        ("steps.0.for_each",),
    ),
    (
        "step-goal-long",
        f"name: p\nsteps:\n  - {{name: s, agent: a.yaml, goal: {'x' * 20_001}}}\n",
        ("steps.0.goal",),
    ),
    (
        "too-large-spec",
        "name: p\nsteps:\n" + "".join(f"  - {{name: s{i}, agent: big.yaml}}\n" for i in range(6)),
        ("pipeline spec is",),
    ),
]


@pytest.mark.parametrize(
    ("content", "names"),
    [case[1:] for case in PIPELINE_CASES],
    ids=[case[0] for case in PIPELINE_CASES],
)
def test_a_hostile_pipeline_file_is_refused_in_one_line(
    tmp_path: Path, content: str | bytes, names: tuple[str, ...]
) -> None:
    write(tmp_path / "a.yaml", AGENT)
    write(tmp_path / "bad.yaml", AGENT + "budget: {max_stepz: 3}\n")
    write(tmp_path / "big.yaml", big_script(200, 1000))  # ~200 KB: one fits, six do not
    message = refused(write(tmp_path / "p.yaml", content))
    for name in names:
        assert name in message, message


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (AGENT + "budget: {max_stepz: 3}\n", ("budget.max_stepz",)),
        (BILLION_LAUGHS, ("aliases",)),
        (AGENT.encode("utf-16"), ("not UTF-8",)),
        (AGENT + "workspace: /\n", ("workspace",)),
        (PIPELINE + "max_handoffs: 1e23\n", ("max_handoffs",)),
    ],
    ids=["unknown-key", "alias-bomb", "utf-16", "workspace-root", "pipeline-number"],
)
def test_overseer_run_refuses_a_hostile_file_before_connecting(
    tmp_path: Path, content: str | bytes, names: tuple[str, ...]
) -> None:
    write(tmp_path / "a.yaml", AGENT)
    path = write(tmp_path / "hostile.yaml", content)
    env = {**os.environ, "TEMPORAL_ADDRESS": f"127.0.0.1:{closed_port()}"}
    done = subprocess.run(
        [venv_binary("overseer"), "run", str(path), "--goal", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"overseer: error: {path}: ")
    assert "cannot reach Temporal" not in lines[0]
    for name in names:
        assert name in lines[0]
