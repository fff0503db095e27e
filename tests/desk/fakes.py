"""What the desk's tests share: a fake client emitting ``api.events`` (no socket), a desk wired to it, and a bare
context for a part tested alone (no hub). Qt-free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airalgo_desktop.api.events import ConnectionState, Metrics, OrderEvent, State, Ticks
from airalgo_desktop.desk import DeskContext, TradingDesk
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.instruments import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.subscriptions import Subscriptions
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.market import MarketStore

MASTER = load_sample()


class FakeClient:
    """Just enough of ``AirAlgoClient``: records what is sent, tracked and subscribed; ``emit`` plays an event."""

    def __init__(self, prefix: str = "A") -> None:
        self.listeners: list = []
        self.current = ConnectionState(State.JOINED)
        self.metrics = Metrics()
        self.clock = 1000.0
        self.sent: list[tuple[str, OrderRequest]] = []
        self.tracked: list[tuple[str, str | None]] = []
        self.streaming: set[str] = set()
        self.prefix = prefix
        self.count = 0
        self.closed = False

    @property
    def state(self) -> ConnectionState:
        return self.current

    def now(self) -> float:
        return self.clock

    def add_listener(self, listener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener) -> None:
        self.listeners.remove(listener)

    def emit(self, event) -> None:
        for listener in list(self.listeners):
            listener(event)

    def new_local_id(self) -> str:
        self.count += 1
        return f"{self.prefix}-{self.count}"

    def place_order(self, request, instrument, *, local_id=None) -> str:
        self.sent.append((local_id, request))
        return local_id

    def track_order(self, local_id, request, *, order_number=None) -> None:
        self.tracked.append((local_id, order_number))

    def subscribe(self, tokens) -> None:
        self.streaming |= set(tokens)

    def unsubscribe(self, tokens) -> None:
        self.streaming -= set(tokens)

    def reconnect(self) -> None:
        self.current = ConnectionState(State.RECONNECTING)

    async def ping(self, timeout=None) -> float:
        return 0.01

    async def close(self) -> None:
        self.closed = True


def update(token: str, status: str, *, side: Side = Side.BUY, quantity: int = 1, price: int = 0,
           number: str | None = "1001", reason: str = "") -> OrderUpdate:
    return OrderUpdate(token=token, status=OrderStatus.from_wire(status), status_text=status, message=reason,
                       order_number=number, side=side, kind=OrderKind.MARKET, quantity=quantity, price=0,
                       trigger_price=0, executed_price=price, symbol="", error=reason or None, exchange_time=None,
                       last_modified=None, transaction_id=None, required_margin=None)


def ticks(**prices: int) -> Ticks:
    return Ticks({token.lstrip("t"): {"ltp": p, "ltq": 1, "ltt": "2025-01-09T09:15:00Z"} for token, p in
                  prices.items()})


def make_desk(journal=None, store: MemoryStore | None = None, clock=lambda: 5000.0):
    prefs = Prefs(store or MemoryStore())
    desk = TradingDesk(MASTER, journal, prefs, clock=clock)
    notices: list = []
    desk.add_listener(notices.append)
    return desk, prefs, notices


def of(notices: list, kind: type) -> list:
    return [n for n in notices if isinstance(n, kind)]


class Bus:
    """The notice bus of a part tested alone: ``notices`` is everything published; ``on`` handlers are called."""

    def __init__(self) -> None:
        self.notices: list[Any] = []
        self.handlers: list[tuple[type, Callable[[Any], None]]] = []

    def publish(self, notice: object) -> None:
        self.notices.append(notice)
        for kind, handler in list(self.handlers):
            if type(notice) is kind:
                handler(notice)

    def on(self, kind: type, handler: Callable[[Any], None]) -> Callable[[object], None]:
        self.handlers.append((kind, handler))
        return handler


def context(master: Any = None, prefs: Prefs | None = None, clock: Callable[[], float] = lambda: 5000.0,
            store: MarketStore | None = None) -> tuple[DeskContext, Bus]:
    """A part's whole world without a hub: its notices land in ``bus.notices``."""
    bus = Bus()
    catalog = master if isinstance(master, Catalog) else Catalog(master if master is not None else MASTER)
    ctx = DeskContext(bus.publish, bus.on, store or MarketStore(), catalog, Subscriptions(), clock,
                      prefs or Prefs(MemoryStore()))
    return ctx, bus


def with_position(journal=None, token: str = "2885", quantity: int = 10, price: int = 1250_00,
                  side: Side = Side.BUY, clock=lambda: 5000.0):
    """A desk attached to a fake client, ``token`` ticking at ``price`` and a position of ``quantity`` on ``side``
    filled there (the protective triggers' tests start from it). Returns (desk, client, notices)."""
    desk, _prefs, notices = make_desk(journal, clock=clock)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(**{f"t{token}": price}))
    record = desk.ledger.place(OrderRequest(token, side, OrderKind.MARKET, quantity))
    client.emit(OrderEvent(record.local_id, update(token, "Executed", side=side, quantity=quantity, price=price)))
    return desk, client, notices
