"""The day's P&L: positions from the ledger's fills, bars on the sample timer, the Day P&L curve."""

from __future__ import annotations

from airalgo_desktop.api.events import (
    OrderEvent,
)
from airalgo_desktop.desk import DayPnl, FillsBooked, PositionsChanged
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.positions import Fill
from tests.desk.fakes import FakeClient, context, make_desk, of, ticks, update


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
    bars = desk.pnl.bars.bars
    assert bars("2885").close.tolist() == [100_00] and bars("1333").close.tolist() == [50_00]
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", price=100_00)))
    now[0] = 11.4
    client.emit(ticks(t2885=103_00))  # a position's tick marks the curve at once: within the second, its last point
    desk.sample(11.5)  # less than a second after the fill's sample and unchanged: no new MTM point
    assert desk.pnl.mtm.points == [(11.4, 3_00)] and desk.pnl.mtm.high.value == 3_00 and desk.pnl.mtm.low.value == 0
    desk.sample(12.0)  # unchanged: nothing to add
    now[0] = 12.2
    client.emit(ticks(t2885=102_00))
    assert desk.pnl.mtm.points == [(11.4, 3_00), (12.2, 2_00)] and desk.pnl.mtm.last == desk.pnl.day_pnl() == 2_00


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
        record = desk.ledger.place(OrderRequest(token, side, OrderKind.MARKET, qty))
        client.emit(OrderEvent(record.local_id, update(token, "Executed", side=side, quantity=qty, price=price)))
    assert len(desk.pnl.positions.fills) == 3

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
        shown_total = sum(p.total_pnl(desk.store.ltp(t)) for t, p in desk.pnl.positions.positions.items())
        assert desk.pnl.day_pnl() == shown_total == expected(), at
        assert desk.pnl.mtm.points[-1][1] == shown_total, at  # the chart's "Day P&L" is its curve's last point
    assert desk.pnl.mtm.low is not None and desk.pnl.mtm.low.value <= expected()  # extremes include the marks seen


def test_the_day_pnl_alone_follows_fills_booked() -> None:
    """Fed FillsBooked by hand (no ledger, no hub): positions follow, PositionsChanged is published after them."""
    ctx, bus = context()
    pnl = DayPnl(ctx)
    seen: list[int] = []
    bus.on(PositionsChanged, lambda _n: seen.append(pnl.positions.positions["2885"].net))
    first = Fill("2885", Side.BUY, 5, 100_00, 1.0)
    bus.publish(FillsBooked((first,)))
    bus.publish(FillsBooked((Fill("2885", Side.SELL, 2, 101_00, 2.0),)))
    assert seen == [5, 3] and len(pnl.positions.fills) == 2
    bus.publish(FillsBooked(replaced=(first,)))  # one order's fill was taken out again
    assert seen[-1] == 5 and pnl.positions.fills == [first] and of(bus.notices, PositionsChanged)[-1].fills == 1
    ctx.store.apply({"2885": {"ltp": 103_00, "ltq": 1, "ltt": "2025-01-09T09:15:00Z"}})
    assert pnl.day_pnl() == 5 * 3_00
