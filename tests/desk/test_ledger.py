"""The order ledger: the one place, the one restore, fills once, latency, guards — with the fake client (no Qt, no
socket)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airalgo_desktop.api.client import NotConnectedError
from airalgo_desktop.api.events import (
    OrderEvent,
    OrderUnknown,
    State,
)
from airalgo_desktop.desk import (
    ConnectionChanged,
    FillsBooked,
    OrderChanged,
    OrderFilled,
    OrderLedger,
    OrderNotConfirmed,
    OrderRejected,
    PositionsChanged,
)
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import CheckedOutcome, OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.guards import GuardSettings
from airalgo_desktop.settings import MemoryStore
from tests.desk.fakes import FakeClient, context, make_desk, of, update


def test_fills_become_positions_once_across_restore_and_live(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    assert client.sent == [(record.local_id, record.request)] and record.status is OrderStatus.SENT
    client.clock += 0.05
    client.emit(OrderEvent(record.local_id, update("2885", "Pending", quantity=10)))
    client.clock += 0.10
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))
    assert desk.pnl.positions.positions["2885"].net == 10 and len(desk.pnl.positions.fills) == 1
    filled = of(notices, OrderFilled)
    assert len(filled) == 1 and filled[0].fill.price == 120_000 and of(notices, PositionsChanged)
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))  # repeated
    assert len(desk.pnl.positions.fills) == 1 and len(of(notices, OrderFilled)) == 1
    # a restart: the journal brings the executed order back once; the same answer arriving live again adds nothing
    again, _prefs2, notices2 = make_desk(journal)
    restored = again.ledger.restore()
    assert [r.status for r in restored] == [OrderStatus.EXECUTED] and again.pnl.positions.positions["2885"].net == 10
    assert of(notices2, PositionsChanged) and not of(notices2, OrderFilled)  # no notification for old fills
    client2 = FakeClient("B")
    again.attach(client2)
    client2.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=10, price=120_000)))
    assert len(again.pnl.positions.fills) == 1 and again.pnl.positions.positions["2885"].net == 10


def test_restore_reads_the_journal_once_and_open_orders_become_unknown(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    sent = desk.ledger.place(OrderRequest("1333", Side.SELL, OrderKind.MARKET, 5))
    rejected = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    client.emit(OrderEvent(rejected.local_id, update("2885", "Rejected", reason="margin", number="77")))
    reads = []
    original = journal.orders_for
    journal.orders_for = lambda day: reads.append(day) or original(day)  # type: ignore[method-assign]
    later, _prefs2, notices = make_desk(journal)
    records = {r.local_id: r for r in later.ledger.restore()}
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
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 2))
    first.emit(OrderUnknown(record.local_id, record.request))  # the connection dropped before the answer
    assert record.status is OrderStatus.UNKNOWN and of(notices, OrderNotConfirmed)
    assert desk.detach() is first and first.listeners == []
    assert of(notices, ConnectionChanged)[-1].state.state is State.DISCONNECTED
    second = FakeClient("B")
    desk.attach(second)
    assert second.tracked == [(record.local_id, None)] and second.sent == []  # followed, never resent
    second.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=2, price=99_000)))
    assert desk.ledger.records[record.local_id] is record and record.status is OrderStatus.EXECUTED
    assert desk.pnl.positions.positions["2885"].net == 2
    # the duplicate guard still sees the order sent on the first connection
    verdicts = desk.ledger.guards(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 2))
    assert any(v.guard == "duplicate" for v in verdicts)


def test_rejections_and_check_place_without_connection(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    request = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1)
    assert desk.ledger.check(request)[-1] == "Not connected."
    with pytest.raises(NotConnectedError):
        desk.ledger.place(request)
    client = FakeClient()
    desk.attach(client)
    assert desk.ledger.check(request) == []
    record = desk.ledger.place(request)
    client.emit(OrderEvent(record.local_id, update("2885", "Rejected", reason="insufficient margin")))
    assert of(notices, OrderRejected)[0].record.message == "insufficient margin"
    assert desk.pnl.positions.positions == {}


def test_latency_figures_come_from_the_desk(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    assert desk.ledger.latency() is None
    client = FakeClient()
    desk.attach(client)
    for delay in (0.1, 0.3, 0.2):
        record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
        client.clock += delay
        client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00, number=None)))
    figures = desk.ledger.latency()
    assert figures is not None and figures.count == 3
    assert figures.median_ms == pytest.approx(200) and figures.worst_ms == pytest.approx(300)


def test_latency_is_the_first_answer_not_the_time_a_limit_order_rests(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=100_00, ltp=100_00))
    client.clock += 0.05
    client.emit(OrderEvent(record.local_id, update("2885", "Pending", price=0, number="1")))
    client.clock += 120  # the order rests for two minutes before it fills
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00, number="1")))
    figures = desk.ledger.latency()
    assert figures is not None and figures.worst_ms == pytest.approx(50)


def test_guard_settings_are_saved_through_prefs() -> None:
    store = MemoryStore()
    desk, prefs, _notices = make_desk(store=store)
    desk.ledger.set_guards(GuardSettings(price_band_pct=2.0, stale_enabled=False))
    assert prefs.load_guards().price_band_pct == 2.0 and not prefs.load_guards().stale_enabled


def test_restore_of_yesterday_is_not_today(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    later, _prefs2, _n = make_desk(journal)
    assert later.ledger.restore(now_ist().date() - timedelta(days=1)) == []


# ---------------------------------------------------------------- the ledger alone (no hub)
def test_the_ledger_alone_books_fills_by_notice_and_sends_only_through_place(journal) -> None:
    """A live fill is published as FillsBooked (the ledger never touches the positions) before OrderFilled; a
    trader's check re-books the whole list; without a connection place() raises and nothing is journalled."""
    ctx, bus = context()
    ledger = OrderLedger(ctx, journal)
    request = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 4)
    with pytest.raises(NotConnectedError):
        ledger.place(request)
    assert journal.orders_for(now_ist().date()) == [] and ledger.records == {}
    client = FakeClient()
    ledger.attached(client)
    record = ledger.place(request)
    assert client.sent == [(record.local_id, request)]
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=4, price=1_000_00)))
    kinds = [type(n) for n in bus.notices]
    assert kinds == [OrderChanged, OrderChanged, FillsBooked, OrderFilled]
    booked = of(bus.notices, FillsBooked)[0]
    assert booked.replaced is None and [f.price for f in booked.added] == [1_000_00]
    assert of(bus.notices, OrderFilled)[0].fill is booked.added[0]
    # an Unknown order the trader checked as executed: the list of fills is booked again, whole
    second = ledger.place(OrderRequest("1333", Side.SELL, OrderKind.MARKET, 2))
    client.emit(OrderUnknown(second.local_id, second.request))
    ledger.mark_checked(second.local_id, CheckedOutcome.EXECUTED, 500_00, "broker app")
    rebooked = of(bus.notices, FillsBooked)[-1]
    assert rebooked.replaced is not None and [f.token for f in rebooked.replaced] == ["2885", "1333"]
    ledger.detached()
    assert client.listeners == [] and ledger.check(request)[-1] == "Not connected."
