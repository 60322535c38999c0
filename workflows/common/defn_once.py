"""`workflow.defn` for a workflow class the sandbox defines again for every run.

The sandbox imports a workflow's module afresh for every run, so `workflow.defn` validates
the class again each time: it inspects every member of the class and its bases (a
runtime-checkable Protocol check on most of them) and compares each update's signature
with its validator's. For AgentRunWorkflow that was the largest single cost of starting a
run in the worker (BENCHMARKS.md). The class is the same every time, so `defn_once`
validates it with the SDK's own decorator the first time (at worker start, outside the
sandbox), and afterwards gives each run's copy of the class that definition, with the copy's
own `run` method, when the copy has the same shape: the same base classes (passed through
the sandbox, so the very objects that declare the handlers) and no handler of its own but
`run` and `__init__`. Anything else is validated in full, as the SDK would.

Written against temporalio 1.35 (`_Definition` and its attribute are the SDK's private
API): on another version every class is validated in full, as without this module.
"""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import temporalio.service
from temporalio import workflow

WRITTEN_FOR = ("1.35.",)
_DEFINITION = "__temporal_workflow_definition"
_HANDLER_MARKS = (
    "__temporal_signal_definition",
    "__temporal_query_definition",
    "__temporal_workflow_dynamic_config",
)

# Members a class gains after its body ran: the definition, and `__annotations__` (created
# empty when the validation reads a class's annotations).
_SET_LATER = frozenset({_DEFINITION, "__annotations__"})
C = TypeVar("C", bound=type)
# Validated definitions by class (module and qualified name); a handful, one per class.
_validated: dict[str, Any] = {}


def sdk_internals_supported() -> bool:
    """Whether the SDK is the version this module and workers/lean_sandbox.py were written for."""
    return temporalio.service.__version__.startswith(WRITTEN_FOR)


def defn_once(
    *, name: str, failure_exception_types: Sequence[type[BaseException]]
) -> Callable[[C], C]:
    validate = workflow.defn(name=name, failure_exception_types=failure_exception_types)

    def decorate(cls: C) -> C:
        key = f"{cls.__module__}.{cls.__qualname__}"
        first = _validated.get(key)
        if first is None or not sdk_internals_supported() or not _same_shape(first.cls, cls):
            validated = validate(cls)
            _validated.setdefault(key, getattr(validated, _DEFINITION))
            return validated
        run_fn = cls.__dict__["run"]
        definition = dataclasses.replace(first, cls=cls, run_fn=run_fn)
        setattr(cls, _DEFINITION, definition)
        setattr(run_fn, _DEFINITION, definition)
        return cls

    return decorate


def _same_shape(validated: type, cls: type) -> bool:
    if validated.__bases__ != cls.__bases__:
        return False
    if vars(validated).keys() - _SET_LATER != vars(cls).keys() - _SET_LATER:
        return False
    own = vars(cls)
    if "run" not in own or not hasattr(own["run"], "__temporal_workflow_run"):
        return False
    for member_name, member in own.items():
        if member_name in {"run", "__init__"}:
            continue
        # A handler of its own (an update method carries its definition as `_defn`).
        if any(hasattr(member, mark) for mark in _HANDLER_MARKS) or hasattr(member, "_defn"):
            return False
    init_marked = hasattr(own.get("__init__"), "__temporal_workflow_init")
    return init_marked == hasattr(vars(validated).get("__init__"), "__temporal_workflow_init")
