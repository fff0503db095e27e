"""The paper exchange: orders filled by the simulator's order engine against the live (or demo) feed. Qt-free.

:class:`PaperExchange` has the order side of a connection — ``place_order``, ``track_order``, ``new_local_id``,
``now``, ``state`` and listeners of ``api.events`` — so the order service (and so the desk's ledger, the risk gate,
positions and the day report) works on it unchanged. Its answers are ``order_response`` payloads made by
:class:`~airalgo_desktop.sim.orders.OrderEngine` (the demo's rules and wording: off-tick prices, lot size, freeze
quantity, expired contracts, the margin budget) and parsed by :meth:`OrderUpdate.from_payload`, exactly as a live
answer is. Prices are the ticks the desk receives (:meth:`PaperExchange.on_ticks`).

:class:`PaperSession` is what a paper-mode desk is attached to: market data from the live connection, orders to the
paper exchange. The live connection is held only as a :class:`FeedOnly`, which has no way to send an order (its
``place_order`` raises :class:`PaperModeError`) — "paper" is a property of the structure, not of care. Answers the
live connection hears for orders (another terminal's) are dropped: nothing live enters the paper journal.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..api.client import OrderValidationError
from ..api.events import (
    ConnectionState,
    Event,
    LateOrderResponse,
    Metrics,
    OrderEvent,
    OrderUnknown,
    OrderWritten,
    State,
    Ticks,
)
from ..domain.clock import Clock, process_clock
from ..domain.instruments import Instrument
from ..domain.money import MAX_PRICE, Paisa, format_rupees
from ..domain.options import underlying_tokens
from ..domain.orders import OrderRecord, OrderRequest, OrderStatus, OrderUpdate, Side
from ..listeners import Listeners
from ..sim.orders import MSG_CONFIRM, MSG_REJECTED, OrderEngine, SimOrder

log = logging.getLogger("airalgo.services.paper")

PAPER_KEY = "paper"  # the engine's account of the paper exchange (one per app run)
PAPER_JOURNAL = "paper-journal.db"
PAPER_LABEL = "PAPER"
DEFAULT_CAPITAL: Paisa = 10_00_000_00  # ₹10,00,000
MAX_CAPITAL: Paisa = 1_000_00_00_000_00  # ₹1,000 crore: above it is a typo, not a paper account
MAX_SLIPPAGE_TICKS = 100
RESET_REASON = "Paper account reset"
KILL_REASON = "Cancelled by the kill switch (paper: the app can cancel its own exchange's orders)"


class PaperModeError(RuntimeError):
    """Something tried to send an order over the live connection of a paper session. Nothing was sent."""


@dataclass(frozen=True, slots=True)
class PaperSettings:
    """The trader's paper account: the margin budget (``capital``, paisa) and the fill model — at the LTP
    (``slippage_ticks`` 0) or that many ticks worse (a buy higher, a sell lower; never beyond a limit price)."""

    capital: Paisa = DEFAULT_CAPITAL
    slippage_ticks: int = 0

    def problems(self) -> list[str]:
        """Why these settings cannot be used, one sentence each (empty: fine)."""
        out = []
        if isinstance(self.capital, bool) or not isinstance(self.capital, int) or not 0 < self.capital <= MAX_CAPITAL:
            out.append(f"Paper capital must be between ₹0.01 and {format_rupees(MAX_CAPITAL)}.")
        if isinstance(self.slippage_ticks, bool) or not isinstance(self.slippage_ticks, int) \
                or not 0 <= self.slippage_ticks <= MAX_SLIPPAGE_TICKS:
            out.append(f"Slippage must be a whole number of ticks from 0 to {MAX_SLIPPAGE_TICKS}.")
        return out

    def checked(self) -> PaperSettings:
        """These settings, or ValueError with every reason they are implausible (nothing is stored then)."""
        problems = self.problems()
        if problems:
            raise ValueError(" ".join(problems))
        return self

    def describe(self) -> str:
        """``"capital ₹10,00,000.00, fills at LTP"`` / ``"… fills at LTP ± 2 ticks"``."""
        model = "at LTP" if not self.slippage_ticks else f"at LTP ± {self.slippage_ticks} tick" + (
            "s" if self.slippage_ticks > 1 else "")
        return f"capital {format_rupees(self.capital)}, fills {model}"

    def to_json(self) -> dict[str, int]:
        """For the settings file."""
        return {"capital": self.capital, "slippage_ticks": self.slippage_ticks}

    @classmethod
    def from_json(cls, data: Any) -> PaperSettings:
        """Read back :meth:`to_json`; anything implausible or missing gives the default for that field."""
        if not isinstance(data, dict):
            return cls()
        default = cls()
        capital = data.get("capital")
        ticks = data.get("slippage_ticks")
        capital_ok = not cls(capital, 0).problems() if isinstance(capital, int) else False
        ticks_ok = not cls(default.capital, ticks).problems() if isinstance(ticks, int) else False
        return cls(capital if capital_ok else default.capital, ticks if ticks_ok else default.slippage_ticks)


def slipped(price: Paisa, tick: Paisa, ticks: int, buy: bool, limit: Paisa = 0) -> Paisa:
    """``price`` moved ``ticks`` ticks against the trader (a buy pays more, a sell gets less), never beyond the order's
    ``limit`` (0: none) and never below one tick."""
    tick = max(1, tick)
    out = price + ticks * tick if buy else price - ticks * tick
    if limit:
        out = min(out, max(price, limit)) if buy else max(out, min(price, limit))
    return min(MAX_PRICE, max(tick, out))


class _Prices:
    """The engine's market: the last traded price per token from the ticks the exchange was given."""

    def __init__(self, master: Any) -> None:
        self.master = master
        self.last: dict[str, Paisa] = {}
        self._spots: dict[str, str] | None = None
        self._spots_of = 0

    def ltp(self, token: str) -> Paisa | None:
        return self.last.get(token)

    def underlying_ltp(self, token: str) -> Paisa | None:
        inst = self.master.get(token)
        if inst is None or not inst.is_derivative:
            return None
        if self._spots is None or self._spots_of != len(self.master):  # a new master: map again (rarely)
            self._spots = underlying_tokens(self.master)
            self._spots_of = len(self.master)
        spot = self._spots.get(inst.name)
        return self.last.get(spot) if spot else None


class PaperExchange:
    """Fills orders against the feed's prices with the simulator's engine; one per app run, across connections.

    ``clock`` stamps the answers and decides expiry (inject it in tests); ``defer`` runs answer delivery later (the
    loop's ``call_soon`` when one runs, else at once), so an answer never arrives inside the ``place_order`` call that
    caused it while a loop runs."""

    def __init__(self, master: Any, settings: PaperSettings | None = None, *, clock: Clock = process_clock,
                 defer: Callable[[Callable[[], None]], object] | None = None) -> None:
        self.master = master
        self.settings = (settings or PaperSettings()).checked()
        self.prices = _Prices(master)
        self.engine = OrderEngine(master, self.prices, self._respond, margin_limit=self.settings.capital,
                                  fill_delay=0.0, clock=clock, fill_price=self._fill_price,
                                  client_id="PAPER", user_id="PAPER")
        self._defer = defer
        self._listeners: Listeners[Event] = Listeners(log, "paper listener")
        self._local_of: dict[int, str] = {}  # engine order number → local id
        self._placing: str | None = None  # the local id whose submit is answering right now
        self._outbox: list[Event] = []
        self._flushing = False
        self._ids = itertools.count(1)
        # unique across restarts (the journal's key): date-time plus a random part, "P" for paper
        self._id_prefix = "P" + time.strftime("%y%m%d%H%M%S") + secrets.token_hex(2)
        self.orders_received = 0

    # ---------------------------------------------------------------- the order client
    @property
    def state(self) -> ConnectionState:
        """Always joined: the exchange is in the process."""
        return ConnectionState(State.JOINED)

    def now(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` for every answer (``OrderEvent``, ``OrderUnknown``)."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def new_local_id(self) -> str:
        """A local order id unique to this paper account across runs (``P…``)."""
        return f"{self._id_prefix}-{next(self._ids)}"

    def place_order(self, request: OrderRequest, instrument: Instrument | None, *, local_id: str | None = None) -> str:
        """Validate as the live client does, then hand the ``order`` payload to the engine; its answers follow."""
        problems = request.validate(instrument)
        if problems:
            raise OrderValidationError(problems)
        local_id = local_id or self.new_local_id()
        self.orders_received += 1
        self._placing = local_id
        try:
            order = self.engine.submit(PAPER_KEY, request.to_payload())
        finally:
            self._placing = None
        self._local_of.setdefault(order.order_number, local_id)
        log.info("paper order %s: %s %d × %s %s → %s", local_id, request.side.value, request.quantity, request.token,
                 request.kind.value, order.status)
        return local_id

    def track_order(self, local_id: str, request: OrderRequest, *, order_number: str | None = None) -> None:
        """Follow an order of an earlier connection or run. One the engine still holds is only followed; one of an
        earlier run with an order number rests again under it (its margin blocked; answered *Pending* once, then its
        fill); one that never got an order number is *Unknown* (it is not resent)."""
        number = int(order_number) if order_number and order_number.isdigit() else None
        if number is not None and number in self.engine.open_orders:
            self._local_of[number] = local_id
            return
        if number is not None:
            order = self.engine.reinstate(PAPER_KEY, request.to_payload(), number)
            if order is not None:  # resting again: said once as Pending (the record was Unknown since the restart)
                self._local_of[number] = local_id
                self._emit(OrderEvent(local_id, self._update(self.engine.payload(order, "Pending", MSG_CONFIRM))))
                return
            payload = self.engine.payload(self._gone(number, request), "Rejected", MSG_REJECTED,
                                          error="The contract can no longer be traded")
            self._emit(OrderEvent(local_id, self._update(payload)))
            return
        self._emit(OrderUnknown(local_id, request))

    def _gone(self, number: int, request: OrderRequest) -> SimOrder:
        return SimOrder(number, PAPER_KEY, request.to_payload(), self.master.get(request.token),
                        request.side is Side.BUY, request.kind.value, request.quantity, request.price,
                        request.trigger_price, status="Rejected")

    # ---------------------------------------------------------------- the market
    def on_ticks(self, quotes: dict[str, dict[str, Any]]) -> None:
        """One ``ltp`` push from the feed: new prices, then resting orders matched against them."""
        last = self.prices.last
        for token, quote in quotes.items():
            ltp = quote.get("ltp")
            if isinstance(ltp, int) and ltp > 0:
                last[token] = ltp
        if self.engine.open_orders:
            self.engine.on_market()

    # ---------------------------------------------------------------- the account
    def apply(self, settings: PaperSettings) -> None:
        """New capital and fill model (ValueError when implausible; nothing changes then). Open orders keep
        theirs; the next fill uses the new model."""
        self.settings = settings.checked()
        self.engine.margin_limit = settings.capital

    def reset(self, settings: PaperSettings | None = None) -> int:
        """A fresh paper account: every open order is answered *Rejected* ("Paper account reset"), the margin book
        forgets every position, the capital is restored (or set). Returns how many orders were cancelled."""
        if settings is not None:
            self.apply(settings)
        cancelled = self.engine.cancel_open(PAPER_KEY, RESET_REASON)
        self.engine.net.pop(PAPER_KEY, None)
        log.info("paper account reset: %d open orders cancelled, %s", len(cancelled), self.settings.describe())
        return len(cancelled)

    def restore_positions(self, records: Iterable[OrderRecord]) -> dict[str, int]:
        """The margin book from the journal's executed orders (a restart of a paper session): token → net
        quantity. Replaces what the engine held."""
        net: dict[str, int] = {}
        for record in records:
            if record.status is OrderStatus.EXECUTED and record.fill_price > 0:
                req = record.request
                net[req.token] = net.get(req.token, 0) + (req.quantity if req.side is Side.BUY else -req.quantity)
        self.engine.net[PAPER_KEY] = {token: qty for token, qty in net.items() if qty}
        return dict(self.engine.net[PAPER_KEY])

    def margin(self) -> tuple[float, Paisa]:
        """Margin in use and the capital, paisa (the status bar's margin figure)."""
        return self.engine.margin_used(PAPER_KEY), self.engine.margin_limit

    # ---------------------------------------------------------------- answers
    def _fill_price(self, order: SimOrder, price: Paisa) -> Paisa:
        ticks = self.settings.slippage_ticks
        if not ticks or order.instrument is None:
            return price
        limit = order.price if order.kind in ("limit", "sl") else 0
        return slipped(price, order.instrument.tick_size, ticks, order.buy, limit)

    def _respond(self, _api_key: str, payload: dict[str, Any]) -> None:
        number = int(payload["order_number"])
        local_id = self._local_of.get(number) or self._placing
        if local_id is not None:
            self._local_of.setdefault(number, local_id)
        self._emit(OrderEvent(local_id, self._update(payload)))

    @staticmethod
    def _update(payload: dict[str, Any]) -> OrderUpdate:
        update = OrderUpdate.from_payload(payload)
        assert update is not None  # the engine always names the token
        return update

    def _emit(self, event: Event) -> None:
        self._outbox.append(event)
        if self._flushing:
            return  # the running flush delivers it, in order
        defer = self._defer
        if defer is None:
            try:
                defer = asyncio.get_running_loop().call_soon
            except RuntimeError:
                defer = _now
        defer(self._flush)

    def _flush(self) -> None:
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._outbox:
                self._listeners.emit(self._outbox.pop(0))
        finally:
            self._flushing = False


def _now(call: Callable[[], None]) -> None:
    call()


class LiveFeed(Protocol):
    """What a paper session uses of the live connection: market data and the connection's life, nothing else."""

    @property
    def state(self) -> ConnectionState: ...
    @property
    def metrics(self) -> Metrics: ...
    def now(self) -> float: ...
    def add_listener(self, listener: Callable[[Event], None]) -> None: ...
    def remove_listener(self, listener: Callable[[Event], None]) -> None: ...
    def subscribe(self, tokens: Iterable[str]) -> None: ...
    def unsubscribe(self, tokens: Iterable[str]) -> None: ...
    def reconnect(self) -> None: ...
    async def ping(self, timeout: float | None = None) -> float: ...
    async def close(self) -> None: ...


class FeedOnly:
    """The live connection of a paper session, without orders: market data and the connection's life pass through;
    ``place_order``, ``track_order`` and ``new_local_id`` raise :class:`PaperModeError` (nothing is sent)."""

    def __init__(self, client: LiveFeed) -> None:
        self.__client = client  # name-mangled: nothing outside this class reaches the live client

    @property
    def state(self) -> ConnectionState:
        """The live connection's state."""
        return self.__client.state

    @property
    def metrics(self) -> Metrics:
        """The live connection's metrics."""
        return self.__client.metrics

    def now(self) -> float:
        """The live connection's clock."""
        return self.__client.now()

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Hear the live connection's events."""
        self.__client.add_listener(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        """Stop hearing them."""
        self.__client.remove_listener(listener)

    def subscribe(self, tokens: Iterable[str]) -> None:
        """Stream these tokens."""
        self.__client.subscribe(tokens)

    def unsubscribe(self, tokens: Iterable[str]) -> None:
        """Stop streaming these tokens."""
        self.__client.unsubscribe(tokens)

    def reconnect(self) -> None:
        """Reconnect the live connection."""
        self.__client.reconnect()

    async def ping(self, timeout: float | None = None) -> float:
        """A heartbeat on the live connection."""
        return await self.__client.ping(timeout)

    async def close(self) -> None:
        """Close the live connection."""
        await self.__client.close()

    def place_order(self, *_args: object, **_kwargs: object) -> str:
        """Never: a paper session's live connection cannot send orders."""
        raise PaperModeError("Paper mode: the live connection cannot send orders; nothing was sent.")

    def track_order(self, *_args: object, **_kwargs: object) -> None:
        """Never: paper orders are followed by the paper exchange."""
        raise PaperModeError("Paper mode: the live connection does not follow orders.")

    def new_local_id(self) -> str:
        """Never: paper orders are numbered by the paper exchange."""
        raise PaperModeError("Paper mode: the live connection does not number orders.")


_LIVE_ORDER_EVENTS = (OrderEvent, LateOrderResponse, OrderUnknown, OrderWritten)


class PaperSession(FeedOnly):
    """The connection a paper-mode desk is attached to: the live ``feed`` held as a :class:`FeedOnly` (its market
    data and life pass through; the live client is reachable by nothing else), with the order methods answered by
    ``exchange`` instead. Ticks reach the desk first, then the exchange matches against them; the feed's own order
    answers (another terminal's orders) are dropped and counted (:attr:`dropped_live_answers`)."""

    paper = True

    def __init__(self, feed: LiveFeed, exchange: PaperExchange) -> None:
        super().__init__(feed)
        self.exchange = exchange
        self.dropped_live_answers = 0
        self._listeners: Listeners[Event] = Listeners(log, "paper session listener")
        super().add_listener(self._on_feed)
        exchange.add_listener(self._listeners.emit)

    # ---------------------------------------------------------------- orders: the paper exchange only
    def new_local_id(self) -> str:
        """A paper order id."""
        return self.exchange.new_local_id()

    def place_order(self, request: OrderRequest, instrument: Instrument | None, *,  # type: ignore[override]
                    local_id: str | None = None) -> str:
        """To the paper exchange (the only object here that can take an order)."""
        return self.exchange.place_order(request, instrument, local_id=local_id)

    def track_order(self, local_id: str, request: OrderRequest, *,  # type: ignore[override]
                    order_number: str | None = None) -> None:
        """Followed by the paper exchange."""
        self.exchange.track_order(local_id, request, order_number=order_number)

    # ---------------------------------------------------------------- events: the feed's market data + paper answers
    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Hear the feed's market events and the paper exchange's answers."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        """Stop hearing them."""
        self._listeners.remove(listener)

    async def close(self) -> None:
        """Close the feed and stop hearing the exchange (which outlives the session)."""
        try:
            await super().close()
        finally:
            super().remove_listener(self._on_feed)
            self.exchange.remove_listener(self._listeners.emit)

    def _on_feed(self, event: Event) -> None:
        if isinstance(event, _LIVE_ORDER_EVENTS):
            self.dropped_live_answers += 1
            log.info("paper session: a live order answer was not applied (%s)", type(event).__name__)
            return
        self._listeners.emit(event)
        if isinstance(event, Ticks):
            self.exchange.on_ticks(event.quotes)
