"""Issue 27's fault tests: the loss crosses the limit in the middle of a burst of orders from several sources — no
risk-increasing order after the crossing reaches the wire; the kill switch under reconnects sends each flatten order
at most once — on the real client and the real simulator."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk import TradingDesk
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.risk import OrderRefused, RiskLimits, Source
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.journal import Journal
from tests.api.conftest import fast_config
from tests.desk.fakes import FakeClient, make_desk, ticks, update

SOURCES = (Source.TICKET, Source.CHAIN, Source.BASKET, Source.STRATEGY, Source.API, Source.TRIGGER)


@pytest.mark.parametrize("seed", range(5))
def test_no_risk_increasing_order_reaches_the_wire_after_the_loss_crosses_the_limit(journal, seed: int) -> None:
    rng = random.Random(seed)
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00, t3045=800_00))
    held = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 100))
    client.emit(OrderEvent(held.local_id, update("2885", "Executed", quantity=100, price=1300_00)))
    desk.risk.set_limits(RiskLimits(max_day_loss=5_000_00, max_order_value=None))
    price = 1300_00
    crossed_at: int | None = None
    sources = itertools.cycle(SOURCES)
    for step in range(40):
        price -= rng.choice((5_00, 10_00, 15_00))  # RELIANCE falls: ₹500–1,500 of loss a step on 100 shares
        desk.on_event(ticks(t2885=price))
        if crossed_at is None and (1300_00 - price) * 100 >= 5_000_00:
            crossed_at = len(client.sent)
        source = next(sources)
        buy = OrderRequest("3045", Side.BUY, OrderKind.MARKET, 1)  # adds risk
        try:
            desk.ledger.place(buy, source)
        except OrderRefused:
            assert crossed_at is not None, f"refused before the crossing at step {step}"
        if rng.random() < 0.3:  # an exit in the burst is always allowed
            net = desk.pnl.positions.positions["2885"].net
            open_exits = sum(r.request.quantity for r in desk.ledger.records.values()
                             if r.is_open and r.request.token == "2885" and r.request.side is Side.SELL)
            if net - open_exits >= 1:
                desk.ledger.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 1), source)
    assert crossed_at is not None
    after = [req for _id, req in client.sent[crossed_at:]]
    assert after and all(req.token == "2885" and req.side is Side.SELL for req in after), after
    assert desk.risk.gate.locked is not None


async def test_kill_switch_under_reconnects_sends_each_exit_once(sim, tmp_path) -> None:
    sim.engine.fill_delay = 0.05
    journal = Journal.open(tmp_path)
    client = AirAlgoClient(fast_config(sim))
    desk = TradingDesk(sim.master, journal, Prefs(MemoryStore()))
    desk.attach(client)
    await client.start()
    await client.wait_for(lambda s: s.joined, 5)
    desk.subscriptions.want("test", ["2885", "3045"])
    loop = asyncio.get_running_loop()

    async def until(predicate, timeout: float = 10.0) -> None:
        deadline = loop.time() + timeout
        while not predicate():
            assert loop.time() < deadline, "timed out"
            await asyncio.sleep(0.02)

    await until(lambda: desk.store.ltp("2885") and desk.store.ltp("3045"))
    desk.risk.set_limits(RiskLimits(max_order_value=None))
    entries = [desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 7)),
               desk.ledger.place(OrderRequest("3045", Side.SELL, OrderKind.MARKET, 11))]
    await until(lambda: all(r.status is OrderStatus.EXECUTED for r in entries))
    before = len(sim.stats.orders_received)
    sim.set_reply_delay(0.3)  # the exits' answers come late: the connection drops with them in flight
    first = desk.risk.kill_switch()
    assert sorted((r.request.token, r.request.quantity) for r in first.sent) == [("2885", 7), ("3045", 11)]
    await until(lambda: len(sim.stats.orders_received) >= before + 2)  # at the exchange, answers not yet back
    sim.drop_all()
    await client.wait_for(lambda s: s.joined, 10)
    second = desk.risk.kill_switch()  # pressed again after the reconnect: the exits are open (or Unknown) — none
    sim.drop_all()
    await client.wait_for(lambda s: s.joined, 10)
    third = desk.risk.kill_switch()
    sim.set_reply_delay(0)
    assert second.sent == [] and third.sent == []
    await asyncio.sleep(1.0)
    exits = sim.stats.orders_received[before:]
    assert len(exits) == 2, exits  # each flatten order reached the exchange once, never resent after reconnects
    assert all(r.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING, OrderStatus.EXECUTED) for r in first.sent)
    await desk.disconnect()
    desk.close()
