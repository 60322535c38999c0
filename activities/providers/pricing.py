"""Model prices, US dollars per million tokens, for the run's cost budget.

A model's `price:` in the agent file overrides this table. Ids are matched by their longest
listed prefix, so dated ids (gpt-4o-mini-2024-07-18) find their family's price.
"""

from contracts.model_io import ModelPrice, ModelSpec, Usage

PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input_per_mtok=0.15, output_per_mtok=0.60),
    "gpt-4o": ModelPrice(input_per_mtok=2.50, output_per_mtok=10.00),
    "gpt-4.1-nano": ModelPrice(input_per_mtok=0.10, output_per_mtok=0.40),
    "gpt-4.1-mini": ModelPrice(input_per_mtok=0.40, output_per_mtok=1.60),
    "gpt-4.1": ModelPrice(input_per_mtok=2.00, output_per_mtok=8.00),
    "claude-3-5-haiku": ModelPrice(input_per_mtok=0.80, output_per_mtok=4.00),
    "claude-haiku-4-5": ModelPrice(input_per_mtok=1.00, output_per_mtok=5.00),
    "claude-sonnet-4": ModelPrice(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-3-7-sonnet": ModelPrice(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-opus-4": ModelPrice(input_per_mtok=15.00, output_per_mtok=75.00),
}
FREE = ModelPrice(input_per_mtok=0, output_per_mtok=0)


def price_for(spec: ModelSpec) -> ModelPrice | None:
    """The model's price, or None when it is unknown (a local model, say)."""
    if spec.price is not None:
        return spec.price
    if spec.provider in {"scripted", "replay"}:
        return FREE
    matches = [prefix for prefix in PRICES if spec.name.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else None


def cost_usd(price: ModelPrice, usage: Usage) -> float:
    total = usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
    return round(total / 1_000_000, 10)
