"""Which tokens each part of the app wants streamed, and the diff that keeps the client in step.

The watchlist wants its active tab, an option chain wants its legs, a chart its instrument: each *owner* says what
it wants now, and the client is asked to subscribe the union — a token two owners want is subscribed once and
stays subscribed until neither wants it. A new connection is given the whole union at once. Qt-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Subscriber(Protocol):
    """What a connection offers (``AirAlgoClient`` has it)."""

    def subscribe(self, tokens: Iterable[str]) -> None: ...
    def unsubscribe(self, tokens: Iterable[str]) -> None: ...


class Subscriptions:
    """Tokens wanted per owner; the union is what the attached client streams."""

    def __init__(self) -> None:
        self._wanted: dict[str, tuple[str, ...]] = {}
        self._union: frozenset[str] = frozenset()
        self._client: Subscriber | None = None
        self._sent: frozenset[str] = frozenset()

    @property
    def tokens(self) -> frozenset[str]:
        """Every token some owner wants."""
        return self._union

    def wanted_by(self, owner: str) -> tuple[str, ...]:
        """What ``owner`` asked for last, in its order."""
        return self._wanted.get(owner, ())

    def want(self, owner: str, tokens: Iterable[str]) -> None:
        """``owner`` now wants exactly ``tokens`` (replacing what it wanted before)."""
        wanted = tuple(dict.fromkeys(tokens))
        if wanted:
            self._wanted[owner] = wanted
        else:
            self._wanted.pop(owner, None)
        self._union = frozenset().union(*self._wanted.values())
        self._sync()

    def drop(self, owner: str) -> None:
        """``owner`` wants nothing any more."""
        self.want(owner, ())

    def attach(self, client: Subscriber) -> None:
        """Stream the union on ``client`` (a fresh connection has nothing subscribed yet)."""
        self._client = client
        self._sent = frozenset()
        self._sync()

    def detach(self) -> None:
        """Forget the client (its socket is closing; nothing is sent)."""
        self._client = None
        self._sent = frozenset()

    def _sync(self) -> None:
        if self._client is None:
            return
        added, removed = self._union - self._sent, self._sent - self._union
        if added:
            self._client.subscribe(sorted(added))
        if removed:
            self._client.unsubscribe(sorted(removed))
        self._sent = self._union
