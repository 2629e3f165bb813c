"""Counting what the model costs, and stopping when the budget is spent.

Prices are estimates in USD per million tokens (input, output). The built-in table covers a few
OpenAI models at their published list prices when this was written; ``llm.prices`` in
``.kubesmith.yaml`` overrides or extends it (a local server is free: price it ``[0, 0]``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesmith.agent.llm.context import estimate_tokens
from kubesmith.config import ModelSettings
from kubesmith.errors import RunError
from kubesmith.model import Usage

DEFAULT_PRICES: Mapping[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
}


class BudgetExceeded(RunError):
    """The proposal spent its token or cost budget (``llm.max_tokens`` / ``llm.max_cost_usd``)."""


def price_of(
    model: str, overrides: Mapping[str, tuple[float, float]] | None = None
) -> tuple[float, float]:
    """USD per million tokens (input, output) for ``model``; (0, 0) when unknown.

    The provider prefix is ignored (``openai:gpt-4o-mini`` prices as ``gpt-4o-mini``), and a dated
    snapshot (``gpt-4o-mini-2024-07-18``) falls back to its family's price.
    """
    candidates = [model, model.partition(":")[2] or model]
    for name in candidates:
        for table in (overrides or {}, DEFAULT_PRICES):
            if name in table:
                return table[name]
    bare = candidates[-1]
    family = max((k for k in DEFAULT_PRICES if bare.startswith(k + "-")), key=len, default=None)
    return DEFAULT_PRICES[family] if family else (0.0, 0.0)


def cost_usd(tokens_in: int, tokens_out: int, price: tuple[float, float]) -> float:
    """The estimated price of one call."""
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000


@dataclass
class Meter:
    """Adds up one intent's model calls and enforces its budget.

    Attributes:
        settings: the model settings (model name, prices, budget).
        spent: everything counted since :meth:`reset`.
    """

    settings: ModelSettings
    spent: Usage = field(default_factory=Usage)

    def reset(self) -> None:
        """Start counting a new intent."""
        self.spent = Usage()

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` when the next call would start over budget."""
        s = self.settings
        tokens = self.spent.tokens_in + self.spent.tokens_out
        if tokens >= s.max_tokens:
            raise BudgetExceeded(
                f"stopped: the model used {tokens:,} tokens, the budget is {s.max_tokens:,} "
                "(llm.max_tokens); nothing more was planned"
            )
        if self.spent.cost_usd >= s.max_cost_usd:
            raise BudgetExceeded(
                f"stopped: the model cost an estimated ${self.spent.cost_usd:.4f}, the budget is "
                f"${s.max_cost_usd:.2f} (llm.max_cost_usd); nothing more was planned"
            )

    def record(self, message: Any, sent: str, started: float) -> Usage:
        """Count one call from the reply's usage metadata (estimated when the server sent none).

        Args:
            message: the model's reply (an ``AIMessage``).
            sent: the text of the request, for the estimate when usage is missing.
            started: ``time.perf_counter()`` taken just before the call.
        """
        meta = getattr(message, "usage_metadata", None) or {}
        tokens_in = int(meta.get("input_tokens") or 0) or estimate_tokens(sent)
        tokens_out = int(meta.get("output_tokens") or 0) or estimate_tokens(
            str(getattr(message, "content", "")) + str(getattr(message, "tool_calls", ""))
        )
        price = price_of(self.settings.model or "", self.settings.prices)
        call = Usage(
            calls=1,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_s=round(time.perf_counter() - started, 4),
            cost_usd=cost_usd(tokens_in, tokens_out, price),
        )
        self.spent = self.spent + call
        return call
