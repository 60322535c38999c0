"""The classified failures activities raise. Each type name is a stable contract:
workflows match on it and retry policies list the non-retryable ones."""

from temporalio.exceptions import ApplicationError

# A tool refused the call (e.g. a path outside the workspace): retrying cannot help,
# the model is told instead.
TOOL_REFUSED = "ToolRefused"
# The arguments do not fit the tool's input model.
TOOL_INPUT_INVALID = "ToolInputInvalid"
# The model provider refused the request itself (bad key, bad request, unknown model).
PROVIDER_REQUEST_REJECTED = "ProviderRequestRejected"
# A tool's result is too large to keep in workflow history (it would be retried forever).
RESULT_TOO_LARGE = "ResultTooLarge"
# The agent names a provider or tool that this worker does not have.
UNKNOWN_PROVIDER = "UnknownProvider"

NON_RETRYABLE_TYPES = (
    TOOL_REFUSED,
    TOOL_INPUT_INVALID,
    PROVIDER_REQUEST_REJECTED,
    UNKNOWN_PROVIDER,
    RESULT_TOO_LARGE,
)


def tool_refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=TOOL_REFUSED, non_retryable=True)
