"""The trading desk without Qt and without sockets: a fake client emits ``api.events`` and the desk's notices are
read directly (issue 13)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from airalgo_desktop.api.client import NotConnectedError
from airalgo_desktop.api.events import (
    ConnectionState,
    FeedStale,
    Metrics,
    OrderEvent,
    OrderUnknown,
    State,
    StateChanged,
    Ticks,
)
from airalgo_desktop.desk import (
    AlertFired,
    ConnectionChanged,
    FirstTick,
    KeyNeeded,
    OrderChanged,
    OrderFilled,
    OrderNotConfirmed,
    OrderRejected,
    PositionsChanged,
    Problem,
    TradingDesk,
)
from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.alerts import Alert, Direction
from airalgo_desktop.services.guards import GuardSettings
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.journal import Journal

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


@pytest.fixture
def journal(tmp_path):
    j = Journal.open(tmp_path / "data")
    yield j
    j.close()


def make_desk(journal=None, store: MemoryStore | None = None, clock=lambda: 5000.0):
    prefs = Prefs(store or MemoryStore())
    desk = TradingDesk(MASTER, journal, prefs, clock=clock)
    notices: list = []
    desk.add_listener(notices.append)
    return desk, prefs, notices


def of(notices: list, kind: type) -> list:
    return [n for n in notices if isinstance(n, kind)]


def test_fills_become_positions_once_across_restore_and_live(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    assert client.sent == [(record.local_id, record.request)] and record.status is OrderStatus.SENT
    client.clock += 0.05
    client.emit(OrderEvent(record.local_id, update("2885", "Pending", quantity=10)))
    client.clock += 0.10
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))
    assert desk.positions.positions["2885"].net == 10 and len(desk.positions.fills) == 1
    filled = of(notices, OrderFilled)
    assert len(filled) == 1 and filled[0].fill.price == 120_000 and of(notices, PositionsChanged)
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))  # repeated
    assert len(desk.positions.fills) == 1 and len(of(notices, OrderFilled)) == 1
    # a restart: the journal brings the executed order back once; the same answer arriving live again adds nothing
    again, _prefs2, notices2 = make_desk(journal)
    restored = again.restore()
    assert [r.status for r in restored] == [OrderStatus.EXECUTED] and again.positions.positions["2885"].net == 10
    assert of(notices2, PositionsChanged) and not of(notices2, OrderFilled)  # no notification for old fills
    client2 = FakeClient("B")
    again.attach(client2)
    client2.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))
    assert len(again.positions.fills) == 1 and again.positions.positions["2885"].net == 10


def test_restore_reads_the_journal_once_and_open_orders_become_unknown(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    sent = desk.place(OrderRequest("1333", Side.SELL, OrderKind.MARKET, 5))
    rejected = desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    client.emit(OrderEvent(rejected.local_id, update("2885", "Rejected", reason="margin", number="77")))
    reads = []
    original = journal.orders_for
    journal.orders_for = lambda day: reads.append(day) or original(day)  # type: ignore[method-assign]
    later, _prefs2, notices = make_desk(journal)
    records = {r.local_id: r for r in later.restore()}
    assert len(reads) == 1
    assert records[sent.local_id].status is OrderStatus.UNKNOWN and "Not resent" in records[sent.local_id].message
    assert records[rejected.local_id].status is OrderStatus.REJECTED
    assert {n.record.local_id for n in of(notices, OrderChanged)} == set(records)
    client2 = FakeClient("B")
    later.attach(client2)
    assert len(reads) == 1  # attaching does not read the journal again
    assert client2.tracked == [(sent.local_id, None)]  # only the open one is followed, nothing is sent
    assert client2.sent == []


def test_reconnect_adopts_open_orders_and_a_late_answer_resolves_them(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    first = FakeClient("A")
    desk.attach(first)
    record = desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 2))
    first.emit(OrderUnknown(record.local_id, record.request))  # the connection dropped before the answer
    assert record.status is OrderStatus.UNKNOWN and of(notices, OrderNotConfirmed)
    assert desk.detach() is first and first.listeners == []
    assert of(notices, ConnectionChanged)[-1].state.state is State.DISCONNECTED
    second = FakeClient("B")
    desk.attach(second)
    assert second.tracked == [(record.local_id, None)] and second.sent == []  # followed, never resent
    second.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=2, price=99_000)))
    assert desk.orders[record.local_id] is record and record.status is OrderStatus.EXECUTED
    assert desk.positions.positions["2885"].net == 2
    # the duplicate guard still sees the order sent on the first connection
    verdicts = desk.guards(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 2))
    assert any(v.guard == "duplicate" for v in verdicts)


def test_rejections_and_check_place_without_connection(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    request = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1)
    assert desk.check(request)[-1] == "Not connected."
    with pytest.raises(NotConnectedError):
        desk.place(request)
    client = FakeClient()
    desk.attach(client)
    assert desk.check(request) == []
    record = desk.place(request)
    client.emit(OrderEvent(record.local_id, update("2885", "Rejected", reason="insufficient margin")))
    assert of(notices, OrderRejected)[0].record.message == "insufficient margin"
    assert desk.positions.positions == {}


def test_latency_figures_come_from_the_desk(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    assert desk.latency() is None
    client = FakeClient()
    desk.attach(client)
    for delay in (0.1, 0.3, 0.2):
        record = desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
        client.clock += delay
        client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00, number=None)))
    figures = desk.latency()
    assert figures is not None and figures.count == 3
    assert figures.median_ms == pytest.approx(200) and figures.worst_ms == pytest.approx(300)


def test_latency_is_the_first_answer_not_the_time_a_limit_order_rests(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.place(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=100_00, ltp=100_00))
    client.clock += 0.05
    client.emit(OrderEvent(record.local_id, update("2885", "Pending", price=0, number="1")))
    client.clock += 120  # the order rests for two minutes before it fills
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00, number="1")))
    figures = desk.latency()
    assert figures is not None and figures.worst_ms == pytest.approx(50)


def test_alerts_fire_once_and_persist_through_prefs() -> None:
    store = MemoryStore()
    desk, prefs, notices = make_desk(store=store)
    client = FakeClient()
    desk.attach(client)
    desk.add_alert(Alert("2885", Direction.ABOVE, 1_250_00))
    assert len(prefs.load_alerts().alerts) == 1
    client.emit(ticks(t2885=1_240_00))  # the reference tick
    client.emit(ticks(t2885=1_251_00))  # crosses
    client.emit(ticks(t2885=1_240_00))
    client.emit(ticks(t2885=1_260_00))  # would cross again: an alert fires once
    fired = of(notices, AlertFired)
    assert len(fired) == 1 and "crossed above ₹1,250.00" in fired[0].text
    saved = prefs.load_alerts().alerts[0]
    assert saved.fired_at == 5000.0
    reloaded, _prefs, again = make_desk(store=store)  # a restart: fired stays fired
    client2 = FakeClient("B")
    reloaded.attach(client2)
    client2.emit(ticks(t2885=1_240_00))
    client2.emit(ticks(t2885=1_270_00))
    assert not of(again, AlertFired)


def test_ticks_connection_problems_and_subscriptions() -> None:
    desk, _prefs, notices = make_desk()
    desk.subscriptions.want("watchlist", ["2885", "1333"])
    client = FakeClient()
    desk.attach(client)
    assert client.streaming == {"2885", "1333"}
    desk.subscriptions.want("chain", ["1333", "3045"])
    desk.subscriptions.want("watchlist", ["2885"])
    assert client.streaming == {"2885", "1333", "3045"}  # 1333 stays: the chain still wants it
    seen = []
    desk.add_feed(seen.append)  # the extension point: e.g. a bar builder
    client.emit(ticks(t2885=100_00))
    client.emit(ticks(t2885=101_00))
    assert desk.store.ltp("2885") == 101_00 and len(of(notices, FirstTick)) == 1 and len(seen) == 2
    client.emit(StateChanged(ConnectionState(State.AUTH_FAILED, reason="bad key")))
    assert of(notices, KeyNeeded)[0].message == "bad key"
    client.emit(FeedStale(12.0))
    assert "No ticks for 12 s" in of(notices, Problem)[0].message


def test_sampling_bars_and_mtm(journal) -> None:
    now = [11.0]
    desk, _prefs, _notices = make_desk(journal, clock=lambda: now[0])  # the fill is sampled at 11.0
    client = FakeClient()
    desk.attach(client)
    desk.subscriptions.want("watchlist", ["1333"])
    client.emit(ticks(t2885=100_00, t1333=50_00))
    desk.sample(10.0)
    desk.sample(10.25)
    # every ticking token gets bars (09:15 IST), built on sample(), never per tick
    assert desk.bars.bars("2885").close.tolist() == [100_00] and desk.bars.bars("1333").close.tolist() == [50_00]
    record = desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00)))
    now[0] = 11.4
    client.emit(ticks(t2885=103_00))  # a position's tick marks the curve at once: within the second, its last point
    desk.sample(11.5)  # less than a second after the fill's sample and unchanged: no new MTM point
    assert desk.mtm.points == [(11.4, 3_00)] and desk.mtm.high.value == 3_00 and desk.mtm.low.value == 0
    desk.sample(12.0)  # unchanged: nothing to add
    now[0] = 12.2
    client.emit(ticks(t2885=102_00))
    assert desk.mtm.points == [(11.4, 3_00), (12.2, 2_00)] and desk.mtm.last == desk.day_pnl() == 2_00


def test_guard_settings_are_saved_through_prefs() -> None:
    store = MemoryStore()
    desk, prefs, _notices = make_desk(store=store)
    desk.set_guards(GuardSettings(max_order_value=5_000_00, stale_enabled=False))
    assert prefs.load_guards().max_order_value == 5_000_00 and not prefs.load_guards().stale_enabled


def test_restore_of_yesterday_is_not_today(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    later, _prefs2, _n = make_desk(journal)
    assert later.restore(now_ist().date() - timedelta(days=1)) == []


def test_importing_the_desk_loads_no_qt() -> None:
    code = "import sys, airalgo_desktop.desk, airalgo_desktop.settings; print(any(m.startswith('PySide6') " \
           "for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_a_new_master_marks_rows_never_relabels_them(tmp_path) -> None:
    """Tokens on screen whose meaning changed or vanished are marked with what they meant; expired ones too."""
    from datetime import date, timedelta

    from airalgo_desktop.desk import InstrumentsChanged, staleness
    from airalgo_desktop.domain.instruments import Instrument
    from airalgo_desktop.instruments import Catalog

    # the demo universe of the day has no dead contracts: add the FEB 2025 future a stale master would still carry
    dead = Instrument("49013", "NIFTY25FEBFUT", "NIFTY", "NFO", "NFO", "FUT", date(2025, 2, 27), lot_size=75)
    desk = TradingDesk(InstrumentMaster([*MASTER, dead]), None, prefs := Prefs(MemoryStore()), clock=lambda: 5000.0)
    notices: list = []
    desk.add_listener(notices.append)
    desk.recheck(["2885", "3045", "49013"])
    assert desk.labels["3045"] == "SBIN" and "49013" in desk.marks and "expired on 27 Feb 2025" in desk.marks["49013"]
    assert prefs.instrument_labels()["3045"] == "SBIN"  # remembered across restarts
    far = date.today() + timedelta(days=30)
    new = Catalog([Instrument("2885", "RELIANCE"), Instrument("3045", "SBICARD"),
                   Instrument("99", "NIFTY99FUT", "NIFTY", "NFO", "NFO", "FUT", far)],
                  meta={"source": "test", "master_date": date.today().isoformat()})
    desk._swap(new, ["2885", "3045", "49013"], imported=True)
    notice = of(notices, InstrumentsChanged)[-1]
    assert set(notice.marks) == {"3045", "49013"} and "now means SBICARD" in notice.marks["3045"]
    assert "not in the instrument master (it was NIFTY FEB 2025 FUT)" in notice.marks["49013"]
    assert desk.label("3045") == "SBIN" and notice.stale is None
    desk.remember("3045")  # the trader re-added it: the new meaning is theirs now
    assert desk.labels["3045"] == "SBICARD" and "3045" not in desk.marks
    old = {"master_date": (date.today() - timedelta(days=10)).isoformat()}
    assert "from 10 days ago" in staleness(old, date.today())


def test_a_remembered_csv_is_never_read_at_start(tmp_path) -> None:
    """Issue 19 item 15: the old "instruments/csv" setting (a 250k-row junk CSV re-parsed on the UI thread at every
    start) is ignored; live starts read only the stored master, after the window, off the loop."""
    junk = tmp_path / "junk.csv"
    junk.write_text("token,symbol\n" + "".join(f"²{i},JUNK{i}\n" for i in range(5000)))
    store = MemoryStore()
    store.setValue("instruments/csv", str(junk))
    live = TradingDesk.open(tmp_path / "data", Prefs(store), demo=False)
    assert len(live.master) == 0 and live.master.meta.get("loading")
    demo = TradingDesk.open(tmp_path / "data2", Prefs(store), demo=True)
    assert "2885" in demo.master and not any(i.symbol.startswith("JUNK") for i in demo.master)
    live.close()
    demo.close()


def test_day_pnl_now_equals_the_positions_total_after_fills_and_ticks(journal) -> None:
    """The Day P&L a trader reads with the chart is the positions' total at the same moment, to the paisa: the
    curve's last point is marked to the current LTPs, not to the last once-a-second sample."""
    now = [1000.0]
    desk, _prefs, _notices = make_desk(journal, clock=lambda: now[0])
    client = FakeClient()
    desk.attach(client)
    desk.subscriptions.want("watchlist", ["2885", "1333", "4963"])
    client.emit(ticks(t2885=1236_40, t1333=1683_45, t4963=1253_50))
    desk.sample(now[0])
    for token, side, qty, price in (("2885", Side.BUY, 1, 1236_40), ("1333", Side.SELL, 1, 1683_45),
                                    ("4963", Side.BUY, 3, 1253_55)):
        record = desk.place(OrderRequest(token, side, OrderKind.MARKET, qty))
        client.emit(OrderEvent(record.local_id, update(token, "Executed", side=side, quantity=qty, price=price)))
    assert len(desk.positions.fills) == 3

    def expected() -> int:
        ltp = desk.store.ltp
        return (ltp("2885") - 1236_40) + (1683_45 - ltp("1333")) + 3 * (ltp("4963") - 1253_55)

    steps = [(0.1, dict(t2885=1238_40)), (0.2, dict(t4963=1249_95)), (0.6, dict(t1333=1684_75, t4963=1249_35)),
             (1.3, dict(t2885=1238_70)), (1.35, dict(t1333=1684_35)), (2.9, dict(t4963=1251_05))]
    for at, prices in steps:
        now[0] = 1000.0 + at
        client.emit(ticks(**prices))
        if at in (0.6, 2.9):
            desk.sample(now[0])  # the 4 Hz timer: sometimes between ticks, sometimes not
        # the Positions tab's total: each row's P&L at its LTP, summed (ui.positions.PositionsModel.totals)
        shown_total = sum(p.total_pnl(desk.store.ltp(t)) for t, p in desk.positions.positions.items())
        assert desk.day_pnl() == shown_total == expected(), at
        assert desk.mtm.points[-1][1] == shown_total, at  # the chart's "Day P&L" is its curve's last point
    assert desk.mtm.low is not None and desk.mtm.low.value <= expected()  # extremes include the marks seen
