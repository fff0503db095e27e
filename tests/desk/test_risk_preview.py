"""The ticket sees the trader's limits before Send: ``OrderLedger.check`` includes what the gate would refuse, and
asking changes nothing (no count, no lock, nothing journalled)."""

from __future__ import annotations

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk.notices import OrderChanged
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.risk import RiskLimits
from tests.desk.fakes import FakeClient, make_desk, of, ticks, update


def test_check_says_the_value_limit_and_changes_nothing(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    big = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1000)  # ₹13 lakh, above the default ₹10 lakh
    assert desk.ledger.check(big) == [
        "Order value ₹13,00,000.00 is above your limit ₹10,00,000.00 (Trade → Risk limits…)."]
    assert desk.ledger.check(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10)) == []
    desk.risk.set_limits(RiskLimits(max_order_value=None))
    assert desk.ledger.check(big) == []
    assert not of(notices, OrderChanged) and client.sent == [] and desk.risk.gate.orders_today == 0


def test_check_reports_a_loss_past_the_limit_without_locking(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 100))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", side=Side.BUY, quantity=100, price=1300_00)))
    desk.on_event(ticks(t2885=1280_00))  # −₹2,000 (a tick now would lock the day at once: the limit comes after)
    desk.risk.set_limits(RiskLimits(max_day_loss=1_000_00))
    more = desk.ledger.check(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    assert more == ["The day's P&L -₹2,000.00 has reached your max loss of ₹1,000.00."]
    assert desk.risk.gate.locked is None  # the ticket asking does not lock the day
    assert desk.ledger.check(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 100)) == []  # the exit may go


def test_the_charges_estimate_is_cached_but_follows_every_fill(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    desk.risk.set_limits(RiskLimits(max_day_loss=1_00_000_00, loss_net_of_charges=True, max_order_value=None))
    assert desk.risk.exposure().charges == 0
    charges = []
    for qty in (10, 20):
        record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, qty))
        client.emit(OrderEvent(record.local_id, update("2885", "Executed", side=Side.BUY, quantity=qty,
                                                       price=1300_00)))
        charges.append(desk.risk.exposure().charges)
        assert desk.risk.exposure().charges == charges[-1]  # asked again: the same (cached) figure
    assert 0 < charges[0] < charges[1]
