"""Models that serialize without the fields still at their defaults.

A RunSpec rides in every run's start event (and every continue-as-new), model specs in
every model call's input, model responses in its result and tool declarations in every
run's first marker: leaving defaults out keeps history small and easier to read in the
Web UI. Both sides share these models, so a missing field reads back as its default: a
default is part of the wire format (changing one changes what recorded histories and
cassettes read back as), so change one only with a new field.
The wrap serializer runs Python code per instance: use it for specs, not for small models
serialized by the hundred (messages).
"""

from typing import Any, ClassVar

from pydantic import BaseModel, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from contracts.strict import StrictBody


class CompactModel(BaseModel):
    # List fields whose items (plain models, each serialized whole wherever else it goes)
    # leave their defaults out too, here only: few items ride in one of these at a time.
    compact_items: ClassVar[dict[str, type[BaseModel]]] = {}

    @model_serializer(mode="wrap")
    def _without_defaults(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        data = handler(self)
        if not isinstance(data, dict) or (info.context or {}).get(_FULL):
            return data
        for name, default in _defaults(type(self)).items():
            if name in data and getattr(self, name) == default:
                del data[name]
        for name, item_model in self.compact_items.items():
            defaults = _defaults(item_model)
            for item in data.get(name) or ():
                for field, default in defaults.items():
                    if field in item and item[field] == default:
                        del item[field]
        return data

    def full_json(self) -> dict[str, Any]:
        """Every field, the ones at their defaults too, as JSON data: what a hash of the
        model hashes, so leaving defaults out of history never changes it."""
        data: dict[str, Any] = self.model_dump(mode="json", context={_FULL: True})
        return data


_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
_FULL = "overseer_full"  # in a dump's context: keep the defaults


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
