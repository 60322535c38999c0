"""Models that serialize without the fields still at their defaults.

A RunSpec rides in every run's start event (and every continue-as-new), and model specs in
every model call's input: leaving defaults out keeps history small and easier to read in
the Web UI. Both sides share these models, so a missing field reads back as its default.
The wrap serializer runs Python code per instance: use it for specs, not for small models
serialized by the hundred (messages).
"""

from typing import Any

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from contracts.strict import StrictBody


class CompactModel(BaseModel):
    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        for name, default in _defaults(type(self)).items():
            if name in data and getattr(self, name) == default:
                del data[name]
        return data


_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The model's optional fields and their defaults, worked out once per class (pydantic
    inspects a default factory's signature on every call). Only compared, never handed out."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = {
            name: field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items()
            if not field.is_required()
        }
    return defaults


class CompactSpec(CompactModel):
    """A compact model a person writes (in an agent or pipeline file) and a workflow
    carries: as strict as a StrictBody (unknown fields refused, no coercion from strings, no
    infinite or NaN floats). Strict also holds when history is read back: it is JSON that
    these same models wrote."""

    model_config = StrictBody.model_config
