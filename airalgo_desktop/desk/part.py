"""What every part of the desk is given and may answer to: the narrow :class:`DeskContext` and the :class:`Part`
hooks. Qt-free.

A part never holds the hub: it publishes notices, reads the market store and the instrument master, says which
tokens it wants streamed, reads the clock and the preferences, and reacts to other parts' notices through
``context.on`` — nothing else. The hub calls the hooks of every part in the order the parts were added (teardown in
reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..api.events import Event, Metrics
from ..instruments import Catalog
from ..services.alerts import AlertBook
from ..services.guards import GuardSettings
from ..services.orders import OrderClient
from ..services.subscriptions import Subscriptions
from ..store.market import MarketStore

N = TypeVar("N")


class DeskPrefs(Protocol):
    """The preferences the desk reads and writes (``settings.Prefs`` over QSettings; a fake in tests)."""

    def load_alerts(self) -> AlertBook: ...
    def save_alerts(self, book: AlertBook) -> None: ...
    def load_guards(self) -> GuardSettings: ...
    def save_guards(self, settings: GuardSettings) -> None: ...
    @property
    def bar_keep_days(self) -> int: ...
    def instrument_labels(self) -> dict[str, str]: ...
    def save_instrument_labels(self, labels: dict[str, str]) -> None: ...


class DeskClient(OrderClient, Protocol):
    """What the desk needs from a connection (``AirAlgoClient`` has it; tests use a fake emitting ``api.events``)."""

    @property
    def metrics(self) -> Metrics: ...
    def subscribe(self, tokens: Iterable[str]) -> None: ...
    def unsubscribe(self, tokens: Iterable[str]) -> None: ...
    def reconnect(self) -> None: ...
    async def ping(self, timeout: float | None = None) -> float: ...
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeskContext:
    """Everything a part may use. ``master`` is the one catalog of the run (an import replaces its contents in
    place, so a part may keep it); ``clock`` is the wall clock in epoch seconds (fills, alerts, samples)."""

    publish: Callable[[object], None]
    on: Callable[[type[Any], Callable[[Any], None]], Callable[[object], None]]
    store: MarketStore
    master: Catalog
    subscriptions: Subscriptions
    clock: Callable[[], float]
    prefs: DeskPrefs


class Part:
    """A capability of the desk. Override the hooks you need; every one is a no-op here.

    ``attached``/``detached``: a connection starts or ends (a part that sends or tracks keeps the client);
    ``on_event``: every client event, after the hub put ticks into the market store; ``sample``: a few times a
    second (never per tick); ``close``: the app is shutting down (flush what is on disk)."""

    def attached(self, client: DeskClient) -> None:
        """A connection is now in use."""

    def detached(self) -> None:
        """The connection is no longer used (its socket is closing)."""

    def on_event(self, event: Event) -> None:
        """One client event."""

    def sample(self, now: float) -> None:
        """The desk's timer (a few times a second), ``now`` in epoch seconds."""

    def close(self) -> None:
        """Shutdown: write what must survive the run."""
