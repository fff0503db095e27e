"""Latest quote per token plus a dirty set: the hand-off between tick ingestion and the coalesced UI refresh.

Ingestion does two C-level dict/set updates per ``ltp`` push and nothing per token in Python, so a tick storm
costs almost nothing here; the UI asks for :meth:`take_dirty` at most 30 times a second (its frame clock hears of
new data through :attr:`MarketStore.on_apply`, one call per push).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.money import Paisa


class MarketStore:
    """Latest ``{"ltp", "ltq", "ltt"}`` per token, the session's first price, and tokens changed since last asked."""

    __slots__ = ("_dirty", "first", "on_apply", "quotes", "updates")

    def __init__(self) -> None:
        self.quotes: dict[str, dict[str, Any]] = {}
        self.first: dict[str, Paisa] = {}
        self._dirty: set[str] = set()
        self.updates = 0
        self.on_apply: Callable[[], None] | None = None  # after each payload (the UI's frame clock: one call)

    def apply(self, quotes: dict[str, dict[str, Any]]) -> None:
        """Take one validated ``ltp`` payload."""
        self.quotes.update(quotes)
        self._dirty.update(quotes)
        self.updates += len(quotes)
        if len(self.first) < len(self.quotes):
            for token in quotes.keys() - self.first.keys():
                self.first[token] = quotes[token]["ltp"]
        if self.on_apply is not None:
            self.on_apply()

    def take_dirty(self) -> set[str]:
        """Tokens changed since the last call (the set is handed over, not copied)."""
        dirty, self._dirty = self._dirty, set()
        return dirty

    def ltp(self, token: str) -> Paisa | None:
        """Last traded price, or None before the first tick."""
        quote = self.quotes.get(token)
        return quote["ltp"] if quote else None
