"""The hub: the notice bus, the connection life cycle and the parts (see the package docstring). No Qt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..api.events import ChannelError, ConnectionState, Event, FeedStale, State, StateChanged, Ticks
from ..domain.nsetime import now_ist
from ..instruments import Catalog, bundled_universe
from ..listeners import Listeners
from ..services.barbook import BarBook
from ..services.subscriptions import Subscriptions
from ..store.journal import FILE_NAME as JOURNAL_FILE
from ..store.journal import Journal, UnavailableJournal, open_journal
from ..store.market import MarketStore
from .alerts import AlertWatch
from .instruments import InstrumentBook
from .ledger import OrderLedger
from .notices import ConnectionChanged, FirstTick, KeyNeeded, Problem
from .options import OptionsDesk
from .part import DeskClient, DeskContext, DeskPrefs, Part
from .pnl import DayPnl
from .risk import RiskDesk
from .triggers import TriggerDesk

log = logging.getLogger("airalgo.desk")

P = TypeVar("P", bound=Part)
N = TypeVar("N")


class TradingDesk:
    """The day's trading state; one per app run, across any number of connections. No Qt.

    The hub owns the notice bus (:meth:`publish`, :meth:`on`, :meth:`add_listener`), the market store, the
    subscriptions and the connection (:meth:`attach`, :meth:`detach`, every client event in through
    :meth:`on_event`); the trading state lives in its parts: :attr:`ledger`, :attr:`instruments`, :attr:`pnl`,
    :attr:`alerts`, :attr:`options`, :attr:`risk`, :attr:`triggers` (and any part added with :meth:`add_part`)."""

    def __init__(self, master: Catalog, journal: Journal | UnavailableJournal | None,
                 prefs: DeskPrefs, *,
                 store: MarketStore | None = None, clock: Callable[[], float] = time.time,
                 data_dir: Path | None = None, demo: bool = True, bars: BarBook | None = None) -> None:
        self.master = master if isinstance(master, Catalog) else Catalog(master)
        self.store = store or MarketStore()
        self.subscriptions = Subscriptions()
        self.prefs = prefs
        self.clock = clock  # wall clock (epoch seconds): fills, alerts, samples
        self.client: DeskClient | None = None
        self.first_tick_at: float | None = None
        self._notices: Listeners[object] = Listeners(log, "notice listener")
        self._parts: list[Part] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # what a part may use (a new part is built with it: ``desk.add_part(MyPart(desk.context))``)
        self.context = DeskContext(self.publish, self.on, self.store, self.master, self.subscriptions, clock, prefs)
        self.ledger = self.add_part(OrderLedger(self.context, journal))
        self.instruments = self.add_part(InstrumentBook(self.context, data_dir=data_dir, demo=demo))
        self.pnl = self.add_part(DayPnl(self.context, bars))
        self.alerts = self.add_part(AlertWatch(self.context))
        self.options = self.add_part(OptionsDesk(self.context, self.pnl.positions))
        # the risk gate sits inside the ledger's one place(); the kill switch's exits go back through it
        risk_store = journal if hasattr(journal, "record_risk") else None
        self.risk = self.add_part(RiskDesk(self.context, self.pnl.positions, self.ledger.records, risk_store))
        self.ledger.use_gate(self.risk)
        self.risk.use_placer(self.ledger.place)
        # protective triggers held by the app: their exits go through the same place (and so the gate)
        trigger_store = journal if hasattr(journal, "save_triggers") else None
        self.triggers = self.add_part(TriggerDesk(self.context, self.pnl.positions, self.ledger.records,
                                                  trigger_store, self.pnl.bars))
        self.triggers.use_placer(self.ledger.place)
        positions = self.pnl.positions.positions
        self.instruments.add_interest(lambda: positions)  # rows a new master must not relabel silently
        self.instruments.add_interest(lambda: self.alerts.tokens)

    @classmethod
    def open(cls, data_dir: Path, prefs: DeskPrefs, *, demo: bool = True,
             journal_name: str = JOURNAL_FILE) -> TradingDesk:
        """The desk of an app run, the journal and the bar store under ``data_dir`` (the bars are read back by
        ``pnl.restore_bars``). The master: the bundled demo universe in demo mode; otherwise empty until
        ``instruments.load_master`` reads the stored one (after the window is shown — nothing master-sized happens
        before it). A journal that cannot be used (read-only folder, full disk) is an :class:`UnavailableJournal`:
        the app starts, its reason is a persistent :class:`Problem` at ``ledger.restore``, and no order is sent.
        ``journal_name``: a paper session's ``paper-journal.db`` (``desk/paper.py``), so the live journal is never
        opened."""
        master = bundled_universe(now_ist().date()) if demo else Catalog(meta={"loading": True})
        return cls(master, open_journal(data_dir, name=journal_name), prefs, data_dir=data_dir, demo=demo,
                   bars=BarBook(data_dir, keep_days=prefs.bar_keep_days))

    # ---------------------------------------------------------------- the notice bus
    def add_listener(self, listener: Callable[[Any], None]) -> None:
        """Call ``listener(notice)`` for every notice (any type: ignore the ones you do not know)."""
        self._notices.add(listener)

    def remove_listener(self, listener: Callable[[Any], None]) -> None:
        """Stop calling ``listener`` (one returned by :meth:`on` too)."""
        self._notices.remove(listener)

    def on(self, notice_type: type[N], handler: Callable[[N], None]) -> Callable[[object], None]:
        """Call ``handler(notice)`` for notices of exactly ``notice_type``; returns the listener, for
        :meth:`remove_listener`."""
        def listener(notice: object) -> None:
            if type(notice) is notice_type:
                handler(notice)  # type: ignore[arg-type]

        self._notices.add(listener)
        return listener

    def publish(self, notice: object) -> None:
        """Deliver ``notice`` to every listener; a failing listener is logged and the others still run."""
        self._notices.emit(notice)

    def add_part(self, part: P) -> P:
        """A new capability: its hooks are called from now on (``attached`` at once when connected)."""
        self._parts.append(part)
        if self.client is not None:
            part.attached(self.client)
        return part

    # ---------------------------------------------------------------- connections
    def attach(self, client: DeskClient) -> None:
        """Use ``client`` from now on: its events come here, the ledger follows every open record on it (a late
        answer still resolves it; nothing is resent), it streams the wanted tokens."""
        if self.client is not None:
            self.detach()
        self.client = client
        client.add_listener(self.on_event)
        for part in self._parts:
            part.attached(client)
        self.subscriptions.attach(client)

    async def disconnect(self) -> None:
        """Close the current connection, then detach it: events of the close (orders in flight becoming
        *Unknown*, the Closed state) still reach the desk and the journal."""
        client = self.client
        if client is not None:
            await client.close()
            self.detach()

    def detach(self) -> DeskClient | None:
        """Stop using the current client (returned, for the caller to close); the records stay."""
        client, self.client = self.client, None
        if client is None:
            return None
        client.remove_listener(self.on_event)
        for part in self._parts:
            part.detached()
        self.subscriptions.detach()
        self.publish(ConnectionChanged(ConnectionState(State.DISCONNECTED), client.now()))
        return client

    # ---------------------------------------------------------------- events (the single ingress)
    def on_event(self, event: Event) -> None:
        """One client event. Ticks go to the store first, then to every part; nothing per tick is published."""
        if isinstance(event, Ticks):
            self.store.apply(event.quotes)
        for part in self._parts:
            part.on_event(event)
        if isinstance(event, Ticks):
            if self.first_tick_at is None:
                self.first_tick_at = time.monotonic()
                self.publish(FirstTick(self.first_tick_at))
        elif isinstance(event, StateChanged):
            client = self.client
            self.publish(ConnectionChanged(event.state, client.now() if client else 0.0))
            if event.state.state is State.AUTH_FAILED:
                self.publish(KeyNeeded(event.state.reason))
            elif event.state.state is State.JOINED and client is not None:
                self._measure_heartbeat(client)
        elif isinstance(event, FeedStale):
            self.publish(Problem(f"No ticks for {event.seconds:.0f} s: reconnecting with a fresh token."))
        elif isinstance(event, ChannelError):
            self.publish(Problem(f"Server said: {event.reason} ({event.event})"))

    def _measure_heartbeat(self, client: DeskClient) -> None:
        """One heartbeat right after joining, so the status bar has a latency before the 30 s beat."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a test driving the desk by hand): nothing to measure

        async def ping() -> None:
            with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError):
                await client.ping()

        task = loop.create_task(ping())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def sample(self, now: float) -> None:
        """Called a few times a second (never per tick): every part's :meth:`Part.sample` — the ledger expires the
        day's orders at a new IST day, the day's P&L builds bars and samples the MTM curve once a second."""
        for part in self._parts:
            part.sample(now)

    def reconnect(self) -> bool:
        """Reconnect the current connection with a fresh token; False when there is none."""
        if self.client is None:
            return False
        self.client.reconnect()
        return True

    # ---------------------------------------------------------------- shutdown
    def close(self) -> None:
        """Shut the parts down in reverse order (the bars' running minute, then the journal) after the last
        connection is detached."""
        for task in list(self._tasks):
            task.cancel()
        for part in reversed(self._parts):
            part.close()
