"""The trading desk: the day's state across connections, with no Qt.

:class:`TradingDesk` owns the market store, the instrument master, the order journal, the app-lifetime order
records (keyed by local id), positions, the one-minute bars of every ticking token (:class:`BarBook`, kept on disk),
the MTM curve, price alerts, guard settings and the token subscriptions. A connection is *attached*
(:meth:`TradingDesk.attach`) and *detached*; every client event enters through :meth:`TradingDesk.on_event`. The
desk tells the outside world what happened through typed *notices* (dataclasses below) delivered to listeners — the
Qt shell (``ui/presenter.py``) turns them into widget updates; tests read them directly.

Extension points, so new trading state lands here and not in the Qt shell:

* :meth:`TradingDesk.add_feed` — a callable given every client event after the desk's own handling (an option
  chain watching ``OrderEvent``\\ s …);
* :meth:`TradingDesk.publish` — emit your own notice type (e.g. an instrument-store swap); listeners that do not
  know a type ignore it;
* :attr:`TradingDesk.subscriptions` — ``want(owner, tokens)``: the client streams the union of every owner's tokens;
* :meth:`TradingDesk.add_part` — attach/detach hooks for parts that need the connection itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from statistics import median
from typing import Any, Protocol

from .api.client import NotConnectedError
from .api.events import ChannelError, ConnectionState, Event, FeedStale, Metrics, State, StateChanged, Ticks
from .domain.money import Paisa, format_rupees
from .domain.nsetime import IST, now_ist, trading_day_on_or_before
from .domain.options import PayoffLeg
from .domain.orders import CheckedOutcome, OrderRecord, OrderRequest, OrderStatus, TraderCheck
from .domain.wording import plural
from .instruments import Catalog, bundled_universe
from .services.alerts import Alert, AlertBook
from .services.barbook import BarBook, day_pnl_curve
from .services.bars import day_start
from .services.chain import (
    DEFAULT_WIDTH,
    ChainState,
    LegGreeks,
    OptionCatalog,
    payoff_legs,
    position_greeks,
)
from .services.guards import GuardSettings, Verdict
from .services.guards import evaluate as evaluate_guards
from .services.mtm import MtmCurve
from .services.orders import OrderClient, OrderService
from .services.positions import Fill, PositionBook
from .services.subscriptions import Subscriptions
from .store.journal import Journal, JournalWriteError, UnavailableJournal, open_journal
from .store.market import MarketStore

log = logging.getLogger("airalgo.desk")

POSITIONS_OWNER = "positions"  # subscription owner: open F&O positions and their underlyings
MTM_SAMPLE_S = 1.0


# ---------------------------------------------------------------- what the desk needs from outside
class DeskPrefs(Protocol):
    """The preferences the desk reads and writes (``ui.prefs.Prefs`` over QSettings; a fake in tests)."""

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


class DeskPart(Protocol):
    """A piece of trading state that needs the connection itself (see :meth:`TradingDesk.add_part`)."""

    def attached(self, client: DeskClient) -> None: ...
    def detached(self) -> None: ...


# ---------------------------------------------------------------- notices
@dataclass(frozen=True, slots=True)
class OrderChanged:
    """An order record was added or changed (after the journal has it)."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """A live order reached Executed; its fill is in the positions (sent after :class:`OrderChanged`)."""

    record: OrderRecord
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A live order was rejected (``record.message`` says why)."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class OrderNotConfirmed:
    """The connection dropped before an order's answer: shown as Unknown, never resent."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class PositionsChanged:
    """Fills were added (live or from the journal): positions, chart markers and P&L need a rebuild."""

    fills: int


@dataclass(frozen=True, slots=True)
class AlertFired:
    """A price alert crossed its price (it never fires again; already saved)."""

    alert: Alert
    text: str


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The connection moved to a new state (``at`` on the client's clock)."""

    state: ConnectionState
    at: float


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the trader should read. ``persistent``: keep it on screen until dismissed (journal recovery)."""

    message: str
    persistent: bool = False


@dataclass(frozen=True, slots=True)
class KeyNeeded:
    """There is no usable API key (forgotten, or refused): the trader should enter one."""

    message: str
    error: bool = True


@dataclass(frozen=True, slots=True)
class FirstTick:
    """The first tick of the app's life arrived (``at``: ``time.monotonic()``)."""

    at: float


@dataclass(frozen=True, slots=True)
class GuardsChanged:
    """The guard settings were changed and saved."""

    settings: GuardSettings


@dataclass(frozen=True, slots=True)
class BarsRestored:
    """Today's stored bars are back (``minutes`` read) and the Day P&L curve was rebuilt: charts redraw."""

    minutes: int


@dataclass(frozen=True, slots=True)
class InstrumentsChanged:
    """The instrument master was loaded or replaced by an import.

    ``summary`` is one line for the status bar, ``details`` the kept/skipped-by-reason lines, ``marks`` the rows
    of interest (watchlists, positions, alerts) whose token vanished, changed meaning or expired, with why;
    ``stale`` says when the master is older than the last trading day."""

    summary: str
    details: list[str] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    stale: str | None = None
    imported: bool = False


@dataclass(frozen=True, slots=True)
class MasterNeeded:
    """A real account and no imported master: the app must ask for one (sample tokens would be wrong)."""

    reason: str


Notice = (OrderChanged | OrderFilled | OrderRejected | OrderNotConfirmed | PositionsChanged | AlertFired
          | ConnectionChanged | Problem | KeyNeeded | FirstTick | GuardsChanged | InstrumentsChanged | MasterNeeded)


@dataclass(frozen=True, slots=True)
class Latency:
    """Send → the exchange's first answer (Pending, or the final answer when it comes first) of this run's orders.

    The first answer, not the fill: a limit order resting for minutes is the market's time, not the link's."""

    median_ms: float
    worst_ms: float
    count: int


def staleness(meta: dict[str, Any], today: date) -> str | None:
    """``"master from 3 days ago — refresh"`` when the master predates the last trading day, else None."""
    from .store.instruments import master_date

    day = master_date(meta)
    if day is None or day >= trading_day_on_or_before(today):  # exchange holidays are not known here
        return None
    days = (today - day).days
    return f"Instrument master from {plural(days, 'day')} ago — refresh it (File → Import " \
           "instrument master…): new contracts are missing and NSE reuses tokens of expired ones."


class TradingDesk:
    """The day's trading state; one per app run, across any number of connections. No Qt."""

    def __init__(self, master: Catalog, journal: Journal | UnavailableJournal | None,
                 prefs: DeskPrefs, *,
                 store: MarketStore | None = None, clock: Callable[[], float] = time.time,
                 data_dir: Path | None = None, demo: bool = True, bars: BarBook | None = None) -> None:
        self.master = master if isinstance(master, Catalog) else Catalog(master)
        self.data_dir = data_dir
        self.demo = demo
        # what each token of interest last meant on screen (persisted): a new master never relabels silently
        labels = getattr(prefs, "instrument_labels", None)
        self.labels: dict[str, str] = dict(labels()) if labels else {}
        self.marks: dict[str, str] = {}  # token → why its row is marked (vanished, changed meaning, expired)
        self.journal = journal
        self.prefs = prefs
        self.clock = clock  # wall clock (epoch seconds): fills, alerts, samples
        self.store = store or MarketStore()
        self.orders: dict[str, OrderRecord] = {}  # app-lifetime, by local id
        self.positions = PositionBook()
        self.bars = bars or BarBook(None, clock=clock)  # without a folder: in memory only (tests, tools)
        self.mtm = MtmCurve()
        self.alerts = prefs.load_alerts()
        self.guard_settings = prefs.load_guards()
        self.subscriptions = Subscriptions()
        self.client: DeskClient | None = None
        self.service: OrderService | None = None
        self.focus: str | None = None  # the instrument on screen (charted)
        self.first_tick_at: float | None = None
        self._filled: set[str] = set()
        self._fill_of: dict[str, Fill] = {}  # local id → its fill in the positions (to take it out again)
        self._day = now_ist().date()  # the trading day the records belong to (a new day expires Day orders)
        self._alert_tokens = self.alerts.tokens
        self._listeners: list[Callable[[Any], None]] = []
        self._feeds: list[Callable[[Event], None]] = []
        self._parts: list[DeskPart] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_mtm = -math.inf
        self._options: OptionCatalog | None = None
        self.chains: dict[str, ChainState] = {}  # open option chains by subscription owner
        self._chain_serial = 0

    @classmethod
    def open(cls, data_dir: Path, prefs: DeskPrefs, *, demo: bool = True) -> TradingDesk:
        """The desk of an app run, the journal and the bar store under ``data_dir`` (the bars are read back by
        :meth:`restore_bars`). The master: the bundled demo universe in
        demo mode; otherwise empty until :meth:`load_master` reads the stored one (after the window is shown —
        nothing master-sized happens before it). A journal that cannot be used (read-only folder, full disk) is an
        :class:`UnavailableJournal`: the app starts, its reason is a persistent :class:`Problem` at :meth:`restore`,
        and no order is sent."""
        master = bundled_universe(now_ist().date()) if demo else Catalog(meta={"loading": True})
        return cls(master, open_journal(data_dir), prefs, data_dir=data_dir, demo=demo,
                   bars=BarBook(data_dir, keep_days=prefs.bar_keep_days))

    # ---------------------------------------------------------------- listeners and extension points
    def add_listener(self, listener: Callable[[Any], None]) -> None:
        """Call ``listener(notice)`` for every notice (any type: ignore the ones you do not know)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Any], None]) -> None:
        """Stop calling ``listener``."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def publish(self, notice: object) -> None:
        """Deliver ``notice`` to every listener; a failing listener is logged and the others still run."""
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("notice listener failed on %s", type(notice).__name__)

    def add_feed(self, feed: Callable[[Event], None]) -> None:
        """Give ``feed`` every client event after the desk has taken it (ticks are already in the store)."""
        self._feeds.append(feed)

    def add_part(self, part: DeskPart) -> None:
        """A part told about every connection (``attached(client)``) and its end (``detached()``)."""
        self._parts.append(part)
        if self.client is not None:
            part.attached(self.client)

    # ---------------------------------------------------------------- start-up and connections
    def restore(self, day: date | None = None) -> list[OrderRecord]:
        """Read the journal once: today's orders become records (those without a final answer *Unknown — not
        confirmed*), executed ones become fills. Publishes an :class:`OrderChanged` per record."""
        if self.journal is None:
            return []
        if self.journal.notice:
            self.publish(Problem(self.journal.notice, persistent=True))
        today = day or now_ist().date()
        self._day = today
        journaled = self.journal.orders_for(today)
        records = []
        fills = 0
        # earlier days' orders that never got a final answer: Day orders, expired at their close — shown once as
        # such (and journalled as expired), never left "Unknown" forever
        for j in self.journal.unanswered_before(today):
            record = OrderRecord.from_journal(j, today)
            self.orders[record.local_id] = record
            records.append(record)
            with contextlib.suppress(JournalWriteError):  # a full disk: kept and written later (the journal says)
                self.journal.record_update(record, None, None)
            self.publish(OrderChanged(record))
        for j in journaled:
            record = OrderRecord.from_journal(j, today)
            self.orders[record.local_id] = record
            records.append(record)
            if record.fill_price and self._add_fill(record, j.created.timestamp()):
                fills += 1
            self.publish(OrderChanged(record))
        if fills:
            self._after_fills(fills)
        if (unread := self.journal.read_problem()) is not None:  # rows left out: listed, the rest loaded
            self.publish(Problem(unread, persistent=True))
        if journaled:
            log.info("journal: %d orders today, %d without a final answer", len(journaled),
                     sum(1 for j in journaled if j.status.is_open))
        return records

    def attach(self, client: DeskClient) -> OrderService:
        """Use ``client`` from now on: its events come here, its order service follows every open record (a late
        answer still resolves it; nothing is resent), it streams the wanted tokens."""
        if self.client is not None:
            self.detach()
        self.client = client
        client.add_listener(self.on_event)
        service = OrderService(client, self.master, journal=self.journal, records=self.orders)
        service.add_listener(self._on_record)
        followed = service.follow_open()
        if followed:
            log.info("following %d open orders on the new connection", followed)
        self.service = service
        self.subscriptions.attach(client)
        for part in self._parts:
            part.attached(client)
        return service

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
        if self.service is not None:
            self.service.close()
            self.service = None
        self.subscriptions.detach()
        for part in self._parts:
            part.detached()
        self.publish(ConnectionChanged(ConnectionState(State.DISCONNECTED), client.now()))
        return client

    # ---------------------------------------------------------------- events (the single ingress)
    def on_event(self, event: Event) -> None:
        """One client event. Ticks go to the store (and alert tokens); nothing per tick is published."""
        if isinstance(event, Ticks):
            quotes = event.quotes
            self.store.apply(quotes)
            self.bars.on_ticks(quotes)  # an append: the bars are built on the 4 Hz sample()
            if self.positions.positions and not self.positions.positions.keys().isdisjoint(quotes):
                # the Day P&L follows the positions' LTPs at once (a few positions: cheap), so the figure with the
                # chart is the Positions tab's total at every moment, not the last once-a-second sample's
                self._sample_mtm(self.clock())
            if self._alert_tokens:
                for token in self._alert_tokens & quotes.keys():
                    for alert in self.alerts.on_tick(token, quotes[token]["ltp"], self.clock()):
                        self._alert_fired(alert)
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
        for feed in self._feeds:
            try:
                feed(event)
            except Exception:
                log.exception("desk feed failed on %s", type(event).__name__)

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

    def _on_record(self, record: OrderRecord) -> None:
        self.publish(OrderChanged(record))
        if record.checked is not None and record.status.is_final:
            # the exchange answered an order the trader had marked as checked: its answer wins, positions follow it
            self._refill(record)
            if record.status is OrderStatus.EXECUTED and record.local_id in self._fill_of:
                self.publish(OrderFilled(record, self._fill_of[record.local_id]))
            elif record.status is OrderStatus.REJECTED:
                self.publish(OrderRejected(record))
            return
        if record.status is OrderStatus.EXECUTED and record.local_id not in self._filled:
            if self._add_fill(record, self.clock()):
                self._after_fills(1)
                if record.final_at is not None:
                    self.publish(OrderFilled(record, self.positions.fills[-1]))
        elif record.status is OrderStatus.REJECTED and record.final_at is not None:
            self.publish(OrderRejected(record))
        elif record.status is OrderStatus.UNKNOWN:
            self.publish(OrderNotConfirmed(record))
        if record.status.is_final and record.final_at is not None and record.sent_at is not None:
            log.info("order %s latency: pending %s ms, final %.0f ms", record.local_id,
                     f"{(record.pending_at - record.sent_at) * 1000:.0f}" if record.pending_at else "—",
                     (record.final_at - record.sent_at) * 1000)

    def _add_fill(self, record: OrderRecord, at: float) -> bool:
        """An executed order enters the positions once (restore and live never count it twice) — at the exchange's
        price, or at the price the trader checked while the exchange is silent (:attr:`OrderRecord.fill_price`)."""
        self._filled.add(record.local_id)
        req = record.request
        price = record.fill_price
        if req.quantity <= 0 or price <= 0:
            return False
        fill = Fill(req.token, req.side, req.quantity, price, at)
        self.positions.add(fill)
        self._fill_of[record.local_id] = fill
        return True

    def _refill(self, record: OrderRecord) -> None:
        """Positions follow a changed view of one order (a trader's check, or the exchange answer that replaces
        it): its fill is taken out and put back as it now stands."""
        old = self._fill_of.pop(record.local_id, None)
        self._filled.discard(record.local_id)
        added = self._add_fill(record, old.at if old is not None else self.clock())
        if old is None and not added:
            return
        self.positions.replace(self._fill_of.values())
        self._after_fills(1)

    # ---------------------------------------------------------------- the trader's word on unanswered orders
    def mark_checked(self, local_id: str, outcome: CheckedOutcome, price: Paisa = 0, note: str = "") -> OrderRecord:
        """Record what the trader found out elsewhere about an order the exchange has not answered (Unknown):
        journalled as the trader's statement — never as an exchange answer — and positions follow it. A later
        exchange answer still wins. Raises ValueError when the order has an answer or the price is missing."""
        record = self.orders.get(local_id)
        if record is None:
            raise ValueError(f"no order {local_id}")
        if record.status is not OrderStatus.UNKNOWN:
            raise ValueError(f"the order is {record.status.value}: only an Unknown order can be marked as checked")
        if outcome is CheckedOutcome.EXECUTED and price <= 0:
            raise ValueError("an execution needs the price it was executed at")
        record.checked = TraderCheck(outcome, price if outcome is CheckedOutcome.EXECUTED else 0, note.strip(),
                                     now_ist())
        record.history.append(f"Checked: {outcome.label}")
        if self.journal is not None:
            self.journal.record_check(record)  # before anyone is told
        self._refill(record)
        self.publish(OrderChanged(record))
        return record

    def expire_day_orders(self, today: date) -> int:
        """Orders of an earlier trading day still without a final answer (the app ran past midnight): expired."""
        count = 0
        for record in self.orders.values():
            if record.status.is_open and record.created.astimezone(IST).date() < today:
                record.expire()
                if self.journal is not None:
                    with contextlib.suppress(JournalWriteError):  # kept and written later; the rest still expire
                        self.journal.record_update(record, None, None)
                self._refill(record)
                self.publish(OrderChanged(record))
                count += 1
        return count

    def _after_fills(self, count: int) -> None:
        self._sample_mtm(self.clock())
        self._want_fno_positions()
        self.publish(PositionsChanged(count))

    def _want_fno_positions(self) -> None:
        """Stream open F&O positions with what prices them (underlying, same-expiry future): their greeks and
        payoff need live prices even with no chain or watchlist row showing them."""
        options = self.options
        tokens: list[str] = []
        for token, position in self.positions.positions.items():
            inst = options.get(token)
            if inst is None or inst.expiry is None or not position.net:
                continue
            tokens.append(token)
            spot = options.spot_tokens.get(inst.name)
            if spot:
                tokens.append(spot)
            future = options.futures(inst.name).get(inst.expiry)
            if future is not None:
                tokens.append(future.token)
        self.subscriptions.want(POSITIONS_OWNER, tokens)

    # ---------------------------------------------------------------- orders (the ticket's three calls)
    def check(self, request: OrderRequest) -> list[str]:
        """Every reason ``request`` cannot be sent now (validation, connection)."""
        if self.service is None:
            return [*request.validate(self.master.get(request.token)), "Not connected."]
        return self.service.check(request)

    def guards(self, request: OrderRequest) -> list[Verdict]:
        """The trading guards' verdicts on ``request`` (duplicates are looked for across connections)."""
        client = self.client
        now = client.now() if client is not None else 0.0
        recent = self.service.recent_orders(self.guard_settings.duplicate_window_s) if self.service else []
        return evaluate_guards(
            request, self.master.get(request.token), ltp=self.store.ltp(request.token),
            tick_age=client.metrics.last_tick_age(now) if client is not None else None,
            recent=recent, now=now, settings=self.guard_settings)

    def place(self, request: OrderRequest) -> OrderRecord:
        """Validate, journal, send once. Raises (nothing sent) when invalid or not connected."""
        if self.service is None:
            raise NotConnectedError("not connected: the order was not sent")
        return self.service.place(request)

    def set_guards(self, settings: GuardSettings) -> None:
        """New guard settings, saved."""
        self.guard_settings = settings
        self.prefs.save_guards(settings)
        self.publish(GuardsChanged(settings))

    def latency(self) -> Latency | None:
        """Median and worst Send → first answer over the orders sent in this run (None before the first answer)."""
        firsts = sorted((min(t for t in (r.pending_at, r.final_at) if t is not None) - r.sent_at) * 1000
                        for r in self.orders.values()
                        if r.sent_at is not None and (r.pending_at is not None or r.final_at is not None))
        if not firsts:
            return None
        return Latency(median(firsts), firsts[-1], len(firsts))

    # ---------------------------------------------------------------- alerts
    def add_alert(self, alert: Alert) -> Alert:
        """Add and save an alert (its reference is the next tick)."""
        self.alerts.add(alert)
        self.alerts_changed()
        return alert

    def alerts_changed(self) -> None:
        """The alert book was edited (added, changed, deleted): save it and watch the right tokens."""
        self.prefs.save_alerts(self.alerts)
        self._alert_tokens = self.alerts.tokens

    def _alert_fired(self, alert: Alert) -> None:
        inst = self.master.get(alert.token)
        self.alerts_changed()  # saved before anyone is told: a restart never fires it again
        self.publish(AlertFired(alert, alert.describe(inst.display if inst else alert.token)))

    # ---------------------------------------------------------------- sampling
    def sample(self, now: float) -> None:
        """Called a few times a second (never per tick): the day's orders expire at a new IST day, the ticks since
        the last call become bars (closed minutes go to the bar store's writer thread), and the MTM curve gets a
        point once a second (ticks of a position's token mark it in between: see :meth:`day_pnl`)."""
        today = now_ist().date()
        if today != self._day:
            self._day = today
            self.expire_day_orders(today)
        self.bars.poll()
        for text in self.bars.take_problems():  # the bar store's write faults and rows it left out, once each
            self.publish(Problem(text, persistent=True))
        if self.journal is not None:
            self.journal.retry_pending()  # answers a full disk refused go in once it takes them (rate-limited)
        if now - self._last_mtm >= MTM_SAMPLE_S:
            self._sample_mtm(now)

    def day_pnl(self) -> Paisa | None:
        """The day's P&L now: every position marked to its current LTP — the Positions tab's total, to the paisa
        (None before the first fill)."""
        if not self.positions.positions:
            return None
        ltps = {t: q["ltp"] for t in self.positions.positions if (q := self.store.quotes.get(t))}
        return self.positions.total(ltps)

    def _sample_mtm(self, now: float) -> None:
        self._last_mtm = now
        pnl = self.day_pnl()
        if pnl is not None:
            self.mtm.add(now, pnl)

    # ---------------------------------------------------------------- bars
    async def restore_bars(self) -> int:
        """Read today's stored bars back in a worker thread (off the window's critical path; ticks wait meanwhile),
        then rebuild the Day P&L curve from today's fills marked to each bar's close. Publishes
        :class:`BarsRestored`, and a :class:`Problem` when the bar store had to be set aside."""
        minutes = await asyncio.to_thread(self.bars.restore)
        if self.bars.notice:
            self.publish(Problem(self.bars.notice, persistent=True))
        log.info("bars: %d stored minutes of today restored", minutes)
        self.bars.poll()
        self.rebuild_mtm()
        self.publish(BarsRestored(minutes))
        await asyncio.to_thread(self.bars.maintain)
        return minutes

    def rebuild_mtm(self) -> None:
        """The Day P&L curve from today's fills and bars (after a restart it does not start again at zero);
        samples taken since start-up follow it."""
        fills = self.positions.fills
        if not fills:
            return
        now = self.clock()
        points = day_pnl_curve(fills, self.bars.bars, since=day_start(self.bars.today), now=now)
        live = [p for p in self.mtm.points if not points or p[0] > points[-1][0]]
        self.mtm.replace(points + live)
        self._sample_mtm(now)  # history is marked to bar closes; the point of now to the current LTPs

    # ---------------------------------------------------------------- instruments
    async def load_master(self, tokens: Iterable[str] = ()) -> None:
        """Read the stored master off the loop (live mode) and swap it in; without one, ask for one."""
        if self.demo or self.data_dir is None:
            marks = self.recheck(tokens)
            self.publish(InstrumentsChanged(f"Demo universe: {len(self.master):,} instruments", [], marks))
            return
        from .instruments.importer import load_stored
        from .store.instruments import StoreError

        def read() -> Catalog | None:
            catalog = load_stored(self.data_dir)  # type: ignore[arg-type]
            if catalog is not None:
                catalog.prepare()
            return catalog

        try:
            catalog = await asyncio.to_thread(read)
        except StoreError as exc:
            self.master.meta = {}
            self.publish(MasterNeeded(f"{exc}."))
            return
        if catalog is None:
            self.master.meta = {}
            self.publish(MasterNeeded(
                "No instrument master yet. With a real account the app needs your broker's master (Kite, "
                "Upstox, Angel One, Dhan or Fyers; a file or its URL) to know which token is which contract — "
                "the demo sample's tokens would subscribe and order the wrong instruments."))
            return
        self._swap(catalog, tokens, imported=False)

    async def import_master(self, sources: str | list[str], tokens: Iterable[str] = (), fmt: str | None = None, *,
                            cancel: Any = None, progress: Callable[[float, str], None] | None = None,
                            allow_insecure: bool = False) -> InstrumentsChanged:
        """Import a master into the store — in a child process, so the parse's memory is never the app's — and swap
        it in (replaces, never merges). Raises ``MasterError``/``ImportCancelled`` with nothing changed."""
        from .instruments.importer import import_in_child

        if self.data_dir is None:
            raise RuntimeError("the desk has no data dir")
        sources = [sources] if isinstance(sources, str) else list(sources)
        outcome = await asyncio.to_thread(import_in_child, sources, self.data_dir, fmt, cancel=cancel,
                                          progress=progress, allow_insecure=allow_insecure)
        await asyncio.to_thread(outcome.catalog.prepare)
        self.demo = False
        return self._swap(outcome.catalog, tokens, imported=True, details=outcome.lines())

    def _swap(self, catalog: Catalog, tokens: Iterable[str], *, imported: bool,
              details: list[str] | None = None) -> InstrumentsChanged:
        self.master.replace(catalog)
        self._options = None  # another master: its options are indexed again when next asked
        marks = self.recheck(tokens)
        meta = catalog.meta
        summary = (f"{len(catalog):,} instruments from {meta.get('source', 'the stored master')} "
                   f"(imported {str(meta.get('imported_at', '?'))[:16].replace('T', ' ')})")
        notice = InstrumentsChanged(summary, details or [], marks, staleness(meta, now_ist().date()), imported)
        self.publish(notice)
        return notice

    def remember(self, token: str) -> None:
        """The trader put ``token`` on screen (added it): what it means now is what it meant to them."""
        inst = self.master.get(token)
        if inst is not None:
            self.labels[token] = inst.display
            self.marks.pop(token, None)
            self._save_labels()

    def recheck(self, tokens: Iterable[str]) -> dict[str, str]:
        """Mark rows of interest whose token vanished, changed meaning or expired (never relabel them silently)."""
        tokens = set(tokens) | set(self.positions.positions) | self.alerts.tokens
        today = now_ist().date()
        self.marks.clear()
        for gone in [t for t in self.labels if t not in tokens]:  # in place: the watchlists share the dict
            del self.labels[gone]
        for token in tokens:
            inst = self.master.get(token)
            before = self.labels.get(token)
            if inst is None:
                if not self.master.meta.get("loading"):
                    self.marks[token] = (f"Token {token} is not in the instrument master"
                                         + (f" (it was {before})" if before else "") + ": remove the row.")
            elif before and before != inst.display:
                self.marks[token] = (f"Token {token} now means {inst.display}; it was {before} when you added it. "
                                     "Remove the row and add the contract you want.")
            else:
                self.labels[token] = inst.display
                expired = inst.expired_message(today)
                if expired:
                    self.marks[token] = f"{expired}: it cannot be traded."
        self._save_labels()
        return dict(self.marks)

    def label(self, token: str) -> str | None:
        """What a marked row shows: the meaning the trader saw (never the new meaning of a reused token)."""
        return self.labels.get(token)

    def _save_labels(self) -> None:
        save = getattr(self.prefs, "save_instrument_labels", None)
        if save is not None:
            save(self.labels)

    # ---------------------------------------------------------------- option chains and option positions
    @property
    def options(self) -> OptionCatalog:
        """The master's options and futures by underlying and expiry (indexed on first use)."""
        if self._options is None:
            self._options = OptionCatalog(self.master)
        return self._options

    def open_chain(self, underlying: str, expiry: date | None = None, width: int = DEFAULT_WIDTH) -> ChainState:
        """A new option chain; its legs join the streamed tokens (reference-counted with the watchlist's) and
        follow the ATM strike as it moves. Raises ValueError when ``underlying`` has no options."""
        self._chain_serial += 1
        owner = f"chain:{self._chain_serial}"
        chain = ChainState(self.options, self.store, underlying, expiry, width=width, today=now_ist().date(),
                           on_tokens=lambda tokens: self.subscriptions.want(owner, tokens))
        self.chains[owner] = chain
        return chain

    def close_chain(self, chain: ChainState) -> None:
        """The chain's window closed: release its tokens (those the watchlist still wants stay streamed)."""
        for owner, open_chain in list(self.chains.items()):
            if open_chain is chain:
                del self.chains[owner]
        chain.close()

    def option_greeks(self, now: datetime | None = None) -> dict[str, LegGreeks]:
        """Delta/theta/vega of each open F&O position (see :func:`services.chain.position_greeks`)."""
        return position_greeks(self.positions, self.options, self.store, now or now_ist(),
                               live=self.subscriptions.tokens)

    def payoff(self, underlying: str, now: datetime | None = None) -> list[PayoffLeg]:
        """The open option and future positions of ``underlying`` as payoff legs."""
        return payoff_legs(self.positions, self.options, self.store, underlying, now or now_ist(),
                           live=self.subscriptions.tokens)

    # ---------------------------------------------------------------- shutdown
    def close(self) -> None:
        """Flush and close the journal (after the last connection is detached)."""
        for task in list(self._tasks):
            task.cancel()
        self.bars.close()  # the running minute too: a restart finds the day up to now
        if self.journal is not None:
            self.journal.close()


def describe_fill(record: OrderRecord) -> str:
    """``Buy 5 at ₹2,208.00`` for notifications and the status bar."""
    return f"{record.request.side.label} {record.request.quantity} at {format_rupees(record.executed_price)}"
