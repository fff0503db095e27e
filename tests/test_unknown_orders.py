"""Issue 17 item 5: the honest way out of *Unknown*. "Mark as checked…" records the trader's statement (never an
exchange answer) and positions follow it; a later exchange answer wins; a Day order of an earlier trading day is
*Expired (day order)*; the Latency column survives a restart. Qt-free: the desk, a fake client, a real journal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from airalgo_desktop.api.events import OrderEvent, OrderUnknown
from airalgo_desktop.desk import OrderChanged, PositionsChanged
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import CheckedOutcome, OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.store.journal import Journal
from airalgo_desktop.ui.orderbook import EXEC, LATENCY, OrderBookModel, OrderFilter, message_text, status_text
from tests.desk.fakes import FakeClient, make_desk, of, update


@pytest.fixture
def journal(tmp_path):  # type: ignore[no-untyped-def]
    j = Journal.open(tmp_path / "data")
    yield j
    j.close()


def unknown_order(desk, client, token="2885", qty=10):  # type: ignore[no-untyped-def]
    record = desk.ledger.place(OrderRequest(token, Side.BUY, OrderKind.MARKET, qty))
    client.emit(OrderUnknown(record.local_id, record.request))  # the connection dropped before any answer
    assert record.status is OrderStatus.UNKNOWN
    return record


def test_mark_as_checked_is_the_traders_statement_and_positions_follow_it(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = unknown_order(desk, client)
    assert "2885" not in desk.pnl.positions.positions
    desk.ledger.mark_checked(record.local_id, CheckedOutcome.EXECUTED, 124_050, "seen in the broker app at 10:42")
    assert record.status is OrderStatus.UNKNOWN  # the exchange still has not said anything
    assert record.settled_by_trader and not record.is_open
    position = desk.pnl.positions.positions["2885"]
    assert position.net == 10 and position.buy_value == 10 * 124_050
    assert of(notices, PositionsChanged) and of(notices, OrderChanged)[-1].record is record
    # journalled as the trader's statement: an event of kind "trader", the order's status untouched
    events = journal.events_for(record.local_id)
    assert [kind for kind, _status, _raw in events][-1] == "trader"
    assert all(kind != "response" for kind, _s, _r in events)
    _kind, status, raw = events[-1]
    assert status == "Unknown" and raw["outcome"] == "executed" and raw["price"] == 124_050
    assert raw["note"] == "seen in the broker app at 10:42"
    row = journal.db.execute("SELECT status, executed_price, checked FROM orders WHERE local_id=?",
                             (record.local_id,)).fetchone()
    assert row[0] == "Unknown" and row[1] == 0 and json.loads(row[2])["outcome"] == "executed"
    # the book says whose word it is
    assert status_text(record) == "Checked: Executed"
    assert "your statement, not an exchange answer" in message_text(record)
    assert not OrderFilter.OPEN.accepts(record)
    model = OrderBookModel()
    model.upsert(record)
    assert model.text(record, EXEC) == "1,240.50"  # Exec. price: what positions count it at
    # a restart keeps the statement and the position it implies
    again, _p, _n = make_desk(journal)
    (restored,) = again.ledger.restore()
    assert restored.status is OrderStatus.UNKNOWN and restored.checked is not None
    assert restored.checked.outcome is CheckedOutcome.EXECUTED and again.pnl.positions.positions["2885"].net == 10


@pytest.mark.parametrize("answer, net", [("Rejected", None), ("Executed", 10)])
def test_a_later_exchange_answer_wins_over_the_check(journal, answer, net) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = unknown_order(desk, client)
    desk.ledger.mark_checked(record.local_id, CheckedOutcome.EXECUTED, 124_050, "phoned the desk")
    second = FakeClient("B")
    desk.attach(second)  # still followed on the next connection: the exchange may yet answer
    assert second.tracked == [(record.local_id, None)] and second.sent == []
    second.emit(OrderEvent(record.local_id, update("2885", answer, quantity=10, price=123_900, reason="RMS")))
    assert record.status is OrderStatus(answer) and not record.settled_by_trader
    assert status_text(record) == answer and "replaces your check" in message_text(record)
    if net is None:
        assert desk.pnl.positions.positions.get("2885") is None or desk.pnl.positions.positions["2885"].net == 0
    else:  # at the exchange's price, counted once
        assert desk.pnl.positions.positions["2885"].net == net and desk.pnl.positions.positions["2885"].buy_value == \
            10 * 123_900 and len(desk.pnl.positions.fills) == 1


@pytest.mark.parametrize("outcome", [CheckedOutcome.REJECTED, CheckedOutcome.CANCELLED,
                                     CheckedOutcome.NEVER_REACHED])
def test_other_outcomes_leave_no_position(journal, outcome) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = unknown_order(desk, client)
    desk.ledger.mark_checked(record.local_id, outcome, 0, "")
    assert "2885" not in desk.pnl.positions.positions and status_text(record) == f"Checked: {outcome.label}"
    # changing one's mind (executed after all) moves the position, still as the trader's word
    desk.ledger.mark_checked(record.local_id, CheckedOutcome.EXECUTED, 124_000, "found it after all")
    assert desk.pnl.positions.positions["2885"].net == 10 and len(desk.pnl.positions.fills) == 1


def test_only_unknown_orders_can_be_marked_and_an_execution_needs_its_price(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = unknown_order(desk, client)
    with pytest.raises(ValueError, match="price"):
        desk.ledger.mark_checked(record.local_id, CheckedOutcome.EXECUTED, 0, "")
    answered = desk.ledger.place(OrderRequest("1333", Side.SELL, OrderKind.MARKET, 1))
    client.emit(OrderEvent(answered.local_id, update("1333", "Executed", side=Side.SELL, price=168_000)))
    with pytest.raises(ValueError, match="Executed"):
        desk.ledger.mark_checked(answered.local_id, CheckedOutcome.REJECTED, 0, "")


def test_a_day_order_of_an_earlier_day_is_expired_not_unknown(journal) -> None:
    yesterday = now_ist() - timedelta(days=1)
    old = OrderRecord("OLD-1", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 5, price=120_000, ltp=121_000),
                      "RELIANCE", yesterday)
    journal.record_sent(old)  # sent yesterday, never answered
    desk, _prefs, _notices = make_desk(journal)
    records = {r.local_id: r for r in desk.ledger.restore()}
    expired = records["OLD-1"]
    assert expired.status is OrderStatus.EXPIRED and status_text(expired) == "Expired (day order)"
    assert not expired.is_open and "expired" in expired.message
    assert journal.db.execute("SELECT status FROM orders WHERE local_id='OLD-1'").fetchone()[0] == "Expired"
    # shown once: the next restart has nothing unanswered from earlier days
    assert journal.unanswered_before(now_ist().date()) == []


def test_an_open_order_expires_when_the_app_runs_past_midnight(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = unknown_order(desk, client)
    assert desk.ledger.expire_day_orders(now_ist().date() + timedelta(days=1)) == 1
    assert record.status is OrderStatus.EXPIRED


def test_latency_is_kept_across_a_restart(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    client.clock += 0.012
    client.emit(OrderEvent(record.local_id, update("2885", "Pending")))
    client.clock += 0.193
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=124_000)))
    model = OrderBookModel()
    model.upsert(record)
    assert model.text(record, LATENCY) == "12 / 205 ms"
    again, _p, _n = make_desk(journal)
    (restored,) = again.ledger.restore()
    assert restored.sent_at is None  # another run's clock …
    model.upsert(restored)
    assert model.text(restored, LATENCY) == "12 / 205 ms"  # … but the figures the journal kept
