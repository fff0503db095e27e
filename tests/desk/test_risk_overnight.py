"""The app left open overnight: Friday's loss counts toward Monday's max-loss limit (positions never reset)."""
from datetime import datetime

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.domain.clock import FixedClock, use_clock
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.risk import RiskLimits
from tests.desk.fakes import FakeClient, make_desk, ticks, update


def test_yesterdays_loss_does_not_lock_today():
    clock = FixedClock(datetime(2026, 12, 4, 14, 0, tzinfo=IST))  # Friday
    with use_clock(clock):
        desk, _p, _n = make_desk()
        desk.ledger.restore()
        desk.risk.restore()
        client = FakeClient()
        desk.attach(client)
        desk.risk.set_limits(RiskLimits(max_day_loss=10_000_00))
        desk.on_event(ticks(t2885=1250_00))
        b = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 100))
        client.emit(OrderEvent(b.local_id, update("2885", "Executed", quantity=100, price=1250_00, number="1")))
        s = desk.ledger.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 100))
        client.emit(OrderEvent(s.local_id, update("2885", "Executed", side=Side.SELL, quantity=100, price=1160_00,
                                                  number="2")))  # Friday: -₹9,000 realised, flat
        desk.sample(0)
        assert desk.risk.gate.locked is None
        clock.set(datetime(2026, 12, 7, 9, 20, tzinfo=IST))  # Monday, the app never closed
        desk.sample(0)
        assert desk.risk.exposure().day_pnl == 0, desk.risk.exposure().day_pnl  # Monday's P&L so far
        # Monday: a ₹1,500 loss on a fresh trade
        b2 = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
        client.emit(OrderEvent(b2.local_id, update("2885", "Executed", quantity=10, price=1250_00, number="3")))
        desk.on_event(ticks(t2885=1100_00))
        desk.sample(0)
        assert desk.risk.gate.locked is None
