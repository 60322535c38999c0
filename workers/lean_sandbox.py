"""The SDK's workflow sandbox, without two costs it pays for every payload.

A sandboxed workflow's payloads are encoded and decoded outside the sandbox, and for each
one (three to four times: codec, external storage, its references) the SDK asks the
workflow for the payload's serialization context by running a code *string* inside the
sandbox: compiled again on every call, and wrapped in the sandbox's import and builtins
patching although the answer is SDK code reading SDK state (which activity, which child
workflow). In a profile of `overseer worker` that was 15 % of its CPU. This runner compiles
each of the runner's code strings once, and asks for the context directly; the workflow's
own code (its import, its activations) runs in the sandbox exactly as before, with every
restriction. Written against temporalio 1.35 (`_Instance` is the SDK's private class): on
another version the SDK's own runner is used, and tests/test_lean_sandbox.py says so.
"""

import functools
from types import CodeType
from typing import Any

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from workflows.common.defn_once import sdk_internals_supported


@functools.cache
def _compiled(code: str) -> CodeType:
    # The runner's strings are a handful of constants: the cache stays that small.
    return compile(code, "<string>", "exec")


if sdk_internals_supported():
    from temporalio.worker.workflow_sandbox._runner import _Instance

    class _LeanInstance(_Instance):
        def _run_code(self, code: str, **extra_globals: Any) -> None:
            super()._run_code(_compiled(code), **extra_globals)  # type: ignore[arg-type]

        def get_serialization_context(self, command_info: Any) -> Any:
            return self._in_sandbox().get_serialization_context(command_info)

        def get_external_store_context(self, command_info: Any) -> Any:
            return self._in_sandbox().get_external_store_context(command_info)

        def _in_sandbox(self) -> Any:
            # The SDK's InSandbox, made by _create_instance: SDK code over SDK state.
            return self.globals_and_locals["__temporal_in_sandbox"]


class LeanSandboxedWorkflowRunner(SandboxedWorkflowRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        if not sdk_internals_supported():
            return super().create_instance(det)
        return _LeanInstance(det, self.runner_class, self.restrictions)
