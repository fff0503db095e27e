"""Issue 26 item 10: a late second answer for a final order is journalled raw and never changes the order or the
positions; one that contradicts the final answer is said on the order. Qt-free: a fake client emits the api's
:class:`LateOrderResponse` (the machine's own test is in ``test_channel_machine.py``)."""

from __future__ import annotations

import pytest

from airalgo_desktop.api.events import LateOrderResponse, OrderEvent
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk


@pytest.fixture
def journal(tmp_path):  # type: ignore[no-untyped-def]
    j = Journal.open(tmp_path / "data")
    yield j
    j.close()


def answer(status: str, *, price: float = 0.0, error: str = "") -> OrderUpdate:
    raw = {"token_number": "2885", "status": status, "order_number": 1001.0, "buy_sell": "1", "volume": 10,
           "market_limit_sl": "market", "executed_price": price, "error": error}
    parsed = OrderUpdate.from_payload(raw)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize("late_status", ["Rejected", "Executed", "Pending"])
def test_a_late_answer_is_journalled_raw_and_positions_stay(journal, late_status) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    final = answer("Executed", price=120_000.0)
    client.emit(OrderEvent(record.local_id, final))
    assert desk.pnl.positions.positions["2885"].net == 10
    late = answer(late_status, price=125_000.0 if late_status == "Executed" else 0.0, error="late says no")
    client.emit(LateOrderResponse(record.local_id, late, final))
    # never applied: the order and the positions are as the final answer left them
    assert record.status is OrderStatus.EXECUTED and record.executed_price == 120_000
    assert desk.pnl.positions.positions["2885"].net == 10 and len(desk.pnl.positions.fills) == 1
    assert record.history[-1] == f"{late_status} (late)"
    # kept: the raw late payload is the order's last journal event
    kind, _status, raw = journal.events_for(record.local_id)[-1]
    assert kind == "response" and raw == late.raw
    contradicts = late_status != "Pending"  # another final status or another fill price; a stale Pending is not
    assert ("check this order with your broker" in record.message) is contradicts


def test_a_contradicting_answer_for_an_order_final_since_an_earlier_run_is_not_applied(journal) -> None:
    """After a restart the connection no longer follows a final order: its late answer arrives as a plain
    OrderEvent by order number; it is journalled and said, never applied, and a rejection is announced once."""
    from airalgo_desktop.desk import OrderRejected
    from tests.desk.fakes import of

    desk, _prefs, notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    client.emit(OrderEvent(record.local_id, answer("Rejected", error="Margin limit exceeded")))
    assert record.status is OrderStatus.REJECTED and len(of(notices, OrderRejected)) == 1
    client.emit(OrderEvent(None, answer("Executed", price=120_000.0)))  # by order number 1001
    assert record.status is OrderStatus.REJECTED and "2885" not in desk.pnl.positions.positions
    assert "check this order with your broker" in record.message and record.history[-1] == "Executed (late)"
    assert len(of(notices, OrderRejected)) == 1
    kind, _status, raw = journal.events_for(record.local_id)[-1]
    assert kind == "response" and raw["status"] == "Executed"
