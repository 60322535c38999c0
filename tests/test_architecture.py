"""The layers stay true: contracts <- activities <- workflows <- workers <- starters.

Each rule reads the imports of every module (the code is parsed, not run), so a lower layer
that imports a higher one fails here, with the file and line that did it.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("contracts", "activities", "workflows", "workers", "starters", "overseer", "approvals")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted (for `from x import y`: x.y and x)
    names: tuple[str, ...]
    where: str  # file:line

    def reaches(self, package: str) -> bool:
        return self.target == package or self.target.startswith(package + ".")


def _imports() -> Iterator[Import]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield Import(module, alias.name, (), where)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = tuple(alias.name for alias in node.names)
                    yield Import(module, node.module, names, where)


IMPORTS = list(_imports())


def _violations(source: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{imp.where}: {imp.module} imports {imp.target}"
        for imp in IMPORTS
        if (imp.module == source or imp.module.startswith(source + "."))
        and any(imp.reaches(target) for target in forbidden)
    ]


# (lower layer or part, what it must never import)
RULES = [
    ("contracts", ("activities", "workflows", "workers", "starters", "temporalio.workflow")),
    ("activities", ("workflows", "workers", "starters")),
    ("workflows", ("workers", "starters")),
    ("workers", ("starters",)),
    # One package per workflow: a run knows nothing of the pipeline or the queue that use it.
    (
        "workflows.run",
        ("workflows.pipeline", "workflows.queue", "workflows.kill_switch", "workflows.release"),
    ),
    ("workflows.release", ("workflows.run", "workflows.pipeline", "workflows.queue")),
    ("workflows.queue", ("workflows.run", "workflows.pipeline", "workflows.kill_switch")),
    ("workflows.common", ("workflows.run", "workflows.pipeline", "workflows.queue")),
    ("workflows.kill_switch", ("workflows.run", "workflows.pipeline", "workflows.queue")),
    # The client library is usable without the command line; file loading without either.
    ("starters.client", ("starters.cli",)),
    ("starters.files", ("starters.cli", "starters.client", "temporalio")),
    # The command line drives Temporal through the client library, never the workflows'
    # or the activities' code directly.
    ("starters.cli", ("workflows", "activities")),
    # The approval service is a client of Temporal like the CLI: contracts and the client
    # library, never the workflows' or the activities' code, nor the command line.
    ("approvals", ("workflows", "activities", "workers", "starters.cli")),
    # The public API for the user's own code: tool declarations, nothing that runs a worker.
    ("overseer", ("workflows", "workers", "starters")),
]


@pytest.mark.parametrize(("source", "forbidden"), RULES, ids=[rule[0] for rule in RULES])
def test_layer_does_not_import_above_itself(source: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(source, forbidden) == []


def test_the_cli_uses_temporal_only_through_the_client_library() -> None:
    # The Client type travels from `connect()` to the client library's classes; nothing in
    # the CLI lists, starts, signals or queries workflows by itself.
    direct = [
        f"{imp.where}: {imp.target}: {', '.join(imp.names)}"
        for imp in IMPORTS
        if imp.module.startswith("starters.cli.")
        and imp.reaches("temporalio")
        and not (imp.target == "temporalio.client" and imp.names == ("Client",))
    ]
    assert direct == []
    calls = [
        f"{path.relative_to(REPO)}: {call}"
        for path in sorted((REPO / "starters" / "cli").glob("*.py"))
        for call in ("list_workflows", "get_workflow_handle", "start_workflow", "count_workflows")
        if call in path.read_text()
    ]
    assert calls == []


def test_the_rules_see_a_violation() -> None:
    # The checker itself must be able to fail: a known import is found by its rule.
    assert _violations("workers", ("workflows",)) != []
    assert _violations("starters.cli", ("starters.client",)) != []


def test_every_package_says_what_lives_there() -> None:
    missing = [
        str(init.relative_to(REPO))
        for package in PACKAGES
        for init in (REPO / package).rglob("__init__.py")
        if ast.get_docstring(ast.parse(init.read_text())) is None
    ]
    assert missing == []
