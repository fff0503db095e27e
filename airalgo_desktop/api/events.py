"""Typed things the channel tells its driver: connection states, events for the app, commands for the driver."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ..domain.orders import OrderRequest, OrderUpdate


class State(enum.Enum):
    """Connection life cycle, as the status bar shows it."""

    DISCONNECTED = "Disconnected"
    CONNECTING = "Connecting"
    AUTHENTICATING = "Authenticating"
    JOINED = "Joined"
    RECONNECTING = "Reconnecting"
    AUTH_FAILED = "AuthFailed"
    CLOSED = "Closed"


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """A state plus what a person needs to read it: the attempt and delay while reconnecting, the reason for
    an auth failure, whether the feed is stale."""

    state: State
    attempt: int = 0
    delay: float = 0.0
    reason: str = ""
    stale: bool = False

    @property
    def joined(self) -> bool:
        """True when orders can be sent."""
        return self.state is State.JOINED

    def describe(self) -> str:
        """One line for a status bar or stderr."""
        if self.state is State.RECONNECTING:
            text = f"Reconnecting in {self.delay:.1f} s (attempt {self.attempt})"
            return f"{text}: {self.reason}" if self.reason else text
        if self.state is State.AUTH_FAILED:
            return f"Authentication failed: {self.reason}"
        if self.state is State.JOINED and self.stale:
            return "Joined — feed stale, recovering"
        return self.state.value + (f": {self.reason}" if self.reason else "")


# ---------------------------------------------------------------- events for the application
@dataclass(frozen=True, slots=True)
class StateChanged:
    """The connection moved to a new state."""

    state: ConnectionState


@dataclass(frozen=True, slots=True)
class Ticks:
    """One ``ltp`` push: token → ``{"ltp": int paisa, "ltq": int, "ltt": str}``, already validated."""

    quotes: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An ``order_response``; ``local_id`` is None when it matches no ticket of this session."""

    local_id: str | None
    update: OrderUpdate


@dataclass(frozen=True, slots=True)
class LateOrderResponse:
    """An ``order_response`` for an order this session already saw reach a final state: a duplicate, a stale
    earlier answer arriving out of order, or a second answer that contradicts the first.

    Journal ``update.raw`` as it is (every ``order_response`` is kept), but never apply it to the order or to
    positions: ``final`` — the answer that made the order final — stands. When :attr:`contradicts`, show it on the
    order so that a person checks with the broker; nothing changes silently."""

    local_id: str
    update: OrderUpdate
    final: OrderUpdate

    @property
    def contradicts(self) -> bool:
        """True when this answer says something else than the final one: another final status, or a fill at
        another price or quantity. A stale non-final answer (``Pending`` after ``Executed``) does not."""
        update, final = self.update, self.final
        if update.status is None or not update.status.is_final:
            return False
        if update.status is not final.status:
            return True
        return ((bool(update.executed_price) and update.executed_price != final.executed_price)
                or (update.quantity is not None and final.quantity is not None and update.quantity != final.quantity))


@dataclass(frozen=True, slots=True)
class OrderUnknown:
    """A sent order got no answer before the connection or channel was lost. It is *not* resent."""

    local_id: str
    request: OrderRequest


@dataclass(frozen=True, slots=True)
class OrderWritten:
    """The order frame was handed to the socket (``at`` in the driver's clock)."""

    local_id: str
    at: float


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """The server confirmed these tokens were unsubscribed."""

    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelError:
    """The server answered a push with an error reply (or reported a problem), in its words."""

    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedStale:
    """Subscribed, joined, heartbeats answered — but no ticks for ``seconds``. Recovery follows."""

    seconds: float


@dataclass(frozen=True, slots=True)
class ReplyTimeout:
    """A push that expects a reply got none within the push timeout."""

    event: str
    ref: str


@dataclass(frozen=True, slots=True)
class HeartbeatReply:
    """A heartbeat came back after ``rtt`` seconds."""

    ref: str
    rtt: float


# ---------------------------------------------------------------- commands for the driver
@dataclass(frozen=True, slots=True)
class FetchToken:
    """Get a fresh access token over HTTP, then call ``token_received`` / ``token_failed``."""


@dataclass(frozen=True, slots=True)
class OpenSocket:
    """Open the websocket, then call ``socket_opened`` / ``socket_closed``."""


@dataclass(frozen=True, slots=True)
class Send:
    """Write one text frame; ``local_id`` is set for order frames (to report :class:`OrderWritten`)."""

    text: str
    local_id: str | None = None


@dataclass(frozen=True, slots=True)
class CloseSocket:
    """Close the websocket (then call ``socket_closed``)."""

    reason: str = ""


@dataclass(slots=True)
class Metrics:
    """Live health figures for the status bar and ``doctor``."""

    heartbeat_rtt: float | None = None
    ticks_total: int = 0
    ticks_per_s: float = 0.0
    last_tick_at: float | None = None
    reconnects: int = 0
    malformed_frames: int = 0
    unknown_events: int = 0
    oversized_frames: int = 0
    dropped_quotes: int = 0
    unwanted_quotes: int = 0
    """Quotes for tokens no view subscribed, dropped before the market store (a figure for the status bar)."""
    orders_sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def last_tick_age(self, now: float) -> float | None:
        """Seconds since the last tick, or None before the first."""
        return None if self.last_tick_at is None else max(0.0, now - self.last_tick_at)


Event = (StateChanged | Ticks | OrderEvent | LateOrderResponse | OrderUnknown | OrderWritten | Unsubscribed
         | ChannelError | FeedStale | ReplyTimeout | HeartbeatReply)
Command = FetchToken | OpenSocket | Send | CloseSocket
