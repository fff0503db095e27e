"""Protective triggers, pure: each kind, gaps, the trailing ratchet, OCO disarm, the exit's size and price,
manual position changes and the while-away note from the bars (no desk, no clock of today)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from airalgo_desktop.domain.bars import Bars
from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.orders import OrderKind, Side
from airalgo_desktop.services.triggers import (
    Hit,
    Pause,
    Trigger,
    TriggerKind,
    TriggerState,
    exit_orders,
    exit_price,
    fit_legs,
    fit_to_position,
    leg_exits,
    legs_pnl,
    room,
    slices,
    while_away,
)

OPTION = Instrument("900", "NIFTYX22400CE", name="NIFTY", instrument_type="CE", tick_size=5, lot_size=65,
                    freeze_qty=1800)
CASH = Instrument("2885", "RELIANCE", tick_size=5)


def long_stop(**kw) -> Trigger:
    return Trigger("2885", Side.SELL, 10, **kw)


def test_stop_fires_on_the_first_tick_that_crosses_and_never_again() -> None:
    t = long_stop(stop=1245_00)
    assert t.kind is TriggerKind.STOP
    assert t.on_price(1250_00) is None and t.on_price(1245_05) is None
    hit = t.on_price(1245_00)
    assert hit == Hit("stop", 1245_00, 1245_00)
    text = t.fire(hit, 1_736_400_000.0)
    assert t.state is TriggerState.FIRED and text.startswith("Fired by your stop ₹1,245.00 at LTP ₹1,245.00")
    assert t.on_price(1200_00) is None  # fired: nothing more


def test_a_gap_through_the_stop_fires_and_the_limit_is_priced_from_the_tick() -> None:
    t = long_stop(stop=1245_00, buffer_ticks=2)
    hit = t.on_price(1230_00)  # opened far below the stop
    assert hit is not None and hit.price == 1230_00
    (order,) = exit_orders(t, hit, net=10, pending_exits=0, instrument=CASH)
    # the worse of the level and the tick, 2 ticks lower: marketable even after the gap
    assert order.kind is OrderKind.LIMIT and order.price == 1229_90 and order.side is Side.SELL
    assert order.quantity == 10 and order.ltp == 1230_00


def test_short_position_levels_are_mirrored() -> None:
    stop = Trigger("2885", Side.BUY, 5, stop=1260_00)
    assert stop.on_price(1259_95) is None and stop.on_price(1261_00) == Hit("stop", 1260_00, 1261_00)
    target = Trigger("2885", Side.BUY, 5, target=1200_00)
    assert target.kind is TriggerKind.TARGET
    assert target.on_price(1201_00) is None and target.on_price(1199_00) == Hit("target", 1200_00, 1199_00)


def test_oco_bracket_one_fire_disarms_the_other_in_the_same_step() -> None:
    t = long_stop(stop=1245_00, target=1280_00)
    assert t.kind is TriggerKind.BRACKET
    hit = t.on_price(1281_00)
    assert hit is not None and hit.which == "target"
    assert "the stop is disarmed with it" in t.fire(hit, 0.0)
    assert t.on_price(1240_00) is None  # the stop side is gone with the target's fire


def test_trailing_stop_by_points_ratchets_only_in_the_positions_favour() -> None:
    t = long_stop(trail=10_00)
    assert t.kind is TriggerKind.TRAILING
    t.on_price(1250_00, 5)
    assert t.stop == 1240_00
    t.on_price(1262_35, 5)
    assert t.stop == 1252_35
    t.on_price(1255_00, 5)  # back down: the stop stays
    assert t.stop == 1252_35 and t.best == 1262_35
    assert t.on_price(1252_35, 5) == Hit("stop", 1252_35, 1252_35)


def test_trailing_stop_by_percent_for_a_short_moves_down_only() -> None:
    t = Trigger("2885", Side.BUY, 5, trail_bp=100)  # 1 %
    t.on_price(1000_00, 5)
    assert t.stop == 1010_00
    t.on_price(990_00, 5)
    assert t.stop == 999_90  # 990 + 9.90
    t.on_price(995_00, 5)
    assert t.stop == 999_90
    assert t.on_price(1000_00, 5) == Hit("stop", 999_90, 1000_00)


def test_band_is_the_cheap_precheck() -> None:
    t = long_stop(stop=1245_00, target=1280_00)
    assert t.band() == (1245_00, 1280_00)
    trailing = long_stop(trail=10_00)
    trailing.on_price(1250_00, 5)
    assert trailing.band() == (1240_00, 1250_01)  # a new high must reach the slow path
    t.pause(Pause.DISCONNECTED)
    below, above = t.band()
    assert below < 0 and above > 10**12  # paused: nothing is looked at


def test_exit_is_never_larger_than_the_position_and_never_reverses() -> None:
    t = long_stop(stop=1245_00)
    t.quantity = 50
    hit = Hit("stop", 1245_00, 1244_00)
    assert [o.quantity for o in exit_orders(t, hit, net=30, pending_exits=0, instrument=CASH)] == [30]
    assert [o.quantity for o in exit_orders(t, hit, net=30, pending_exits=20, instrument=CASH)] == [10]
    assert exit_orders(t, hit, net=0, pending_exits=0, instrument=CASH) == []
    assert exit_orders(t, hit, net=-5, pending_exits=0, instrument=CASH) == []  # short now: a sell would add
    assert room(Side.BUY, -5, 2) == 3 and room(Side.BUY, 5, 0) == 0


def test_freeze_quantity_slices_in_whole_lots_and_market_exit() -> None:
    assert slices(65 * 60, OPTION) == [1755, 1755, 390]  # 1800 → 27 lots = 1,755
    t = Trigger("900", Side.SELL, 65 * 60, stop=100_00)
    orders = exit_orders(t, Hit("stop", 100_00, 99_00), net=65 * 60, pending_exits=0, instrument=OPTION)
    assert [o.quantity for o in orders] == [1755, 1755, 390] and {o.kind for o in orders} == {OrderKind.MARKET}


def test_exit_price_stays_on_the_grid() -> None:
    assert exit_price(Side.SELL, 100_02, 1, 5) == 99_95
    assert exit_price(Side.BUY, 100_02, 1, 5) == 100_10
    assert exit_price(Side.SELL, 5, 10, 5) == 5  # never at or below zero


def test_manual_changes_shrink_or_disarm() -> None:
    t = long_stop(stop=1245_00)
    assert fit_to_position(t, 10) is None
    assert fit_to_position(t, 4) == "Stop-loss on 2885 shrunk to 4: the position was reduced."
    assert t.quantity == 4 and t.state is TriggerState.ARMED
    assert fit_to_position(t, 8) is None and t.quantity == 4  # a bigger position is not protected by itself
    assert "reversed" in (fit_to_position(t, -3) or "") and t.state is TriggerState.DISARMED
    closed = long_stop(stop=1245_00)
    assert "closed" in (fit_to_position(closed, 0) or "") and closed.state is TriggerState.DISARMED


def test_combined_stop_on_the_legs_total_pnl() -> None:
    t = Trigger("NIFTY", Side.SELL, 0, legs=("900", "901"), max_loss=5_000_00)
    assert t.kind is TriggerKind.COMBINED and not t.problems()
    values = {"900": (65 * 200_00, 0, -65), "901": (0, 65 * 50_00, 65)}  # short call at 200, long put at 50
    assert legs_pnl(t.legs, values, {"900": 200_00, "901": 50_00}) == 0
    pnl = legs_pnl(t.legs, values, {"900": 290_00, "901": 15_00})  # −5,850 − 2,275
    assert pnl == -8_125_00
    hit = t.on_pnl(pnl)
    assert hit is not None and hit.which == "stop"
    exits = leg_exits(t, {"900": -65, "901": 65}, {"901": (65, 0)}, {"900": 290_00, "901": 15_00},
                      {"900": OPTION, "901": OPTION}.get)
    assert [(o.token, o.side, o.quantity) for o in exits] == [("900", Side.BUY, 65)]  # 901's exit already open
    assert fit_legs(t, {"900": 0, "901": 0}) is not None and t.state is TriggerState.DISARMED


def test_problems_refuse_a_level_that_would_fire_at_once() -> None:
    assert long_stop(stop=1245_00).problems(1240_00)[0].startswith("The stop ₹1,245.00 is already crossed")
    assert "losing side" in long_stop(stop=1290_00, target=1280_00).problems()[0]
    assert long_stop().problems() == ["Give a stop, a target or a trail."]
    lots = Trigger("900", Side.SELL, 100, stop=90_00)
    assert lots.problems(lot=65) == ["The quantity must be a multiple of the lot size 65."]


def test_round_trip_through_the_journals_dict_and_implausible_rows_refused() -> None:
    t = long_stop(stop=1245_00, target=1280_00, buffer_ticks=3)
    t.orders.append("A-1")
    back = Trigger.from_dict(t.to_dict())
    assert back == t
    bad = t.to_dict() | {"stop": -5}
    with pytest.raises(ValueError):
        Trigger.from_dict(bad)
    with pytest.raises(ValueError):
        Trigger.from_dict(t.to_dict() | {"quantity": "ten"})


def _bars(start: float, lows: list[int], highs: list[int]) -> Bars:
    n = len(lows)
    time = np.array([int(start) + 60 * i for i in range(n)], np.int64)
    low, high = np.array(lows, np.int64), np.array(highs, np.int64)
    return Bars(time, low, high, low, high, np.ones(n, np.int64), np.zeros(n))


def test_while_away_names_the_minute_that_crossed() -> None:
    start = datetime(2025, 1, 9, 6, 10, tzinfo=UTC).timestamp()  # 11:40 IST
    bars = _bars(start, [1250_00, 1248_00, 1241_00, 1246_00], [1255_00, 1252_00, 1249_00, 1250_00])
    t = long_stop(stop=1245_00)
    assert while_away(t, bars, start, start + 600) == "the low of 11:42 (₹1,241.00) was below your stop ₹1,245.00"
    quiet = long_stop(stop=1200_00)
    assert while_away(quiet, bars, start, start + 600).startswith("no level was crossed meanwhile (low ₹1,241.00")
    assert while_away(t, bars, start + 3600, start + 4000).startswith("no prices were recorded")
    short = Trigger("2885", Side.BUY, 5, stop=1254_00)
    assert while_away(short, bars, start, start + 600).startswith("the high of 11:40 (₹1,255.00) was above")
