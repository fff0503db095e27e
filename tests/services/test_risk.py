"""The risk gate's rules (pure): each limit, exits always allowed, the day lock and its day boundary, wording."""

from __future__ import annotations

from datetime import date

import pytest

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.risk import (
    UNLOCK_PHRASE,
    DayLock,
    Exposure,
    OpenOrder,
    RiskGate,
    RiskLimits,
    flatten_orders,
    is_reducing,
    meter_level,
)

EXPIRY = date(2027, 1, 28)
INSTRUMENTS = {
    "2885": Instrument("2885", "RELIANCE", "Reliance Industries", prev_close=1300_00),
    "F1": Instrument("F1", "NIFTY27JANFUT", "NIFTY", "NSE", "NFO", "FUT", EXPIRY, lot_size=65, freeze_qty=1800),
    "C1": Instrument("C1", "NIFTY27JAN23500CE", "NIFTY", "NSE", "NFO", "CE", EXPIRY, 23500_00, lot_size=65,
                     freeze_qty=1820),
    "P1": Instrument("P1", "NIFTY27JAN23500PE", "NIFTY", "NSE", "NFO", "PE", EXPIRY, 23500_00, lot_size=65,
                     freeze_qty=1820),
}


class Day:
    """A clock for the gate's trading day, moved by the test."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


def gate(limits: RiskLimits, day: Day | None = None) -> RiskGate:
    return RiskGate(limits, INSTRUMENTS.get, day or Day(date(2027, 1, 4)))


def buy(token: str, qty: int, price: int = 0, kind: OrderKind = OrderKind.LIMIT) -> OrderRequest:
    return OrderRequest(token, Side.BUY, kind, qty, price=price, ltp=price)


def sell(token: str, qty: int, price: int = 0, kind: OrderKind = OrderKind.LIMIT) -> OrderRequest:
    return OrderRequest(token, Side.SELL, kind, qty, price=price, ltp=price)


def test_no_limits_lets_everything_through_and_the_value_limit_refuses():
    assert gate(RiskLimits(max_order_value=None)).assess(buy("2885", 1000, 1300_00), Exposure(), 0.0) is None
    assert RiskLimits().max_order_value == 10_00_000_00  # the old ticket guard's default, on
    g = gate(RiskLimits(max_order_value=10_00_000_00))
    assert g.assess(buy("2885", 10, 1300_00), Exposure(), 0.0) is None
    refusal = g.assess(buy("2885", 1000, 1300_00), Exposure(), 0.0)
    assert refusal is not None and refusal.rule == "max_value"
    assert str(refusal) == ("Refused by your limits: order value ₹13,00,000.00 is above your limit ₹10,00,000.00 "
                            "(Trade → Risk limits…).")


def test_order_value_without_any_price_is_refused_not_waved_through():
    g = gate(RiskLimits(max_order_value=10_00_000_00))
    no_price = OrderRequest("C1", Side.BUY, OrderKind.MARKET, 65)
    refusal = g.assess(no_price, Exposure(), 0.0)
    assert refusal is not None and "no price yet" in refusal.message
    assert g.assess(no_price, Exposure(ltp={"C1": 100_00}), 0.0) is None


def test_orders_per_minute_slide_and_per_day_counts():
    g = gate(RiskLimits(max_orders_per_minute=2, max_orders_per_day=3))
    for t in (0.0, 10.0):
        assert g.assess(buy("2885", 1, 1300_00), Exposure(), t) is None
        g.sent(t)
    refusal = g.assess(buy("2885", 1, 1300_00), Exposure(), 30.0)
    assert refusal is not None and refusal.rule == "per_minute"
    assert refusal.message == ("Refused by your limits: 2 orders in the last minute; your limit is 2 "
                               "(Trade → Risk limits…).")
    assert g.assess(buy("2885", 1, 1300_00), Exposure(), 60.0) is None  # the first one left the window
    g.sent(60.0)
    refusal = g.assess(buy("2885", 1, 1300_00), Exposure(), 200.0)
    assert refusal is not None and refusal.rule == "per_day" and "3 orders today" in refusal.message


def test_exits_are_never_blocked_by_counts_sizes_or_the_lock():
    g = gate(RiskLimits(max_orders_per_minute=1, max_orders_per_day=1, max_lots_per_instrument=1,
                        max_order_value=1_00))
    long_two_lots = Exposure(net={"F1": 130}, ltp={"F1": 23600_00})
    g.sent(0.0)
    g.lock_day("test", 0.0)
    assert g.assess(sell("F1", 65, 23600_00), long_two_lots, 1.0) is None
    assert g.assess(sell("F1", 130, 23600_00), long_two_lots, 1.0) is None
    # more than the position: that reverses it, so it is not an exit
    assert g.assess(sell("F1", 195, 23600_00), long_two_lots, 1.0) is not None
    # the same side adds risk
    assert g.assess(buy("F1", 65, 23600_00), long_two_lots, 1.0) is not None


def test_two_exits_of_the_whole_position_are_not_both_exits():
    exposure = Exposure(net={"F1": 130}, open_orders=[OpenOrder("F1", Side.SELL, 130)])
    assert not is_reducing(sell("F1", 65, 1), exposure)
    exposure = Exposure(net={"F1": 130}, open_orders=[OpenOrder("F1", Side.SELL, 65)])
    assert is_reducing(sell("F1", 65, 1), exposure) and not is_reducing(sell("F1", 130, 1), exposure)


def test_lots_per_instrument_count_open_orders_on_the_same_side():
    g = gate(RiskLimits(max_lots_per_instrument=3, max_order_value=None))
    exposure = Exposure(net={"F1": 65}, open_orders=[OpenOrder("F1", Side.BUY, 65)])
    assert g.assess(buy("F1", 65, 23600_00), exposure, 0.0) is None  # 3 lots
    refusal = g.assess(buy("F1", 130, 23600_00), exposure, 0.0)
    assert refusal is not None and refusal.message.startswith("Refused by your limits: 4 lots open in this "
                                                              "instrument after this order; your limit is 3")


def test_lots_per_underlying_add_every_contract_of_the_underlying():
    g = gate(RiskLimits(max_lots_per_underlying=4, max_order_value=None))
    exposure = Exposure(net={"F1": 65, "C1": -130, "2885": 500})
    assert g.assess(sell("P1", 65, 100_00), exposure, 0.0) is None  # 1 + 2 + 1 = 4 NIFTY lots
    refusal = g.assess(sell("P1", 130, 100_00), exposure, 0.0)
    assert refusal is not None and refusal.rule == "lots_underlying" and "in NIFTY" in refusal.message


def test_net_premium_sold_per_underlying():
    g = gate(RiskLimits(max_premium_sold_per_underlying=20_000_00, max_order_value=None))
    exposure = Exposure(net={"C1": -65}, sell_value={"C1": 65 * 150_00}, ltp={"P1": 140_00})
    assert g.assess(sell("P1", 65, 140_00), exposure, 0.0) is None  # 9,750 + 9,100 = 18,850
    refusal = g.assess(sell("P1", 130, 140_00), exposure, 0.0)
    assert refusal is not None and refusal.message == (
        "Refused by your limits: net option premium sold in NIFTY would be ₹27,950.00; your limit is ₹20,000.00 "
        "(Trade → Risk limits…).")
    assert g.assess(buy("P1", 650, 140_00), exposure, 0.0) is None  # buying options never counts as premium sold


def test_day_loss_reaching_the_limit_refuses_and_can_be_measured_net_of_charges():
    g = gate(RiskLimits(max_day_loss=5_000_00, max_order_value=None))
    assert not g.breached(Exposure(day_pnl=-4_999_99))
    assert g.assess(buy("F1", 65, 1), Exposure(day_pnl=-4_999_99), 0.0) is None
    refusal = g.assess(buy("F1", 65, 1), Exposure(day_pnl=-5_000_00), 0.0)
    assert refusal is not None and refusal.message == (
        "Refused by your limits: the day's P&L -₹5,000.00 has reached your max loss of ₹5,000.00.")
    g.limits.loss_net_of_charges = True
    assert g.breached(Exposure(day_pnl=-4_900_00, charges=100_00))


def test_lock_lasts_the_trading_day_across_the_weekend_and_ends_on_the_next():
    day = Day(date(2027, 1, 8))  # a Friday
    g = gate(RiskLimits(), day)
    g.lock_day("loss limit reached", 100.0)
    assert g.assess(buy("2885", 1, 1300_00), Exposure(), 101.0).rule == "day_lock"
    # the caller gives the trading day on or before the calendar day: Saturday and Sunday are still Friday
    assert g.locked is not None
    day.day = date(2027, 1, 11)  # Monday
    assert g.locked is None and g.assess(buy("2885", 1, 1300_00), Exposure(), 200.0) is None


def test_seeded_lock_and_count_survive_a_restart_only_on_their_day():
    g = gate(RiskLimits(max_orders_per_day=5), Day(date(2027, 1, 4)))
    g.seed_day(date(2027, 1, 4), 5, DayLock(date(2027, 1, 4), "loss", 1.0))
    assert g.locked is not None and g.orders_today == 5
    g2 = gate(RiskLimits(max_orders_per_day=5), Day(date(2027, 1, 5)))
    g2.seed_day(date(2027, 1, 5), 0, DayLock(date(2027, 1, 4), "loss", 1.0))
    assert g2.locked is None


def test_unlock_needs_the_typed_phrase():
    g = gate(RiskLimits())
    g.lock_day("loss", 0.0)
    assert not g.unlock("yes") and g.locked is not None
    assert g.unlock(f"  {UNLOCK_PHRASE.lower()} ") and g.locked is None


def test_limits_round_trip_and_tolerate_bad_settings():
    limits = RiskLimits(max_day_loss=5_000_00, loss_net_of_charges=True, max_orders_per_day=None)
    assert RiskLimits.from_dict(limits.to_dict()) == limits
    bad = RiskLimits.from_dict({"max_day_loss": "abc", "max_orders_per_minute": -3, "max_order_value": "",
                                "loss_net_of_charges": "maybe", "max_lots_per_instrument": "10"})
    assert bad.max_day_loss is None and bad.max_orders_per_minute is None and bad.max_order_value is None
    assert bad.max_lots_per_instrument == 10 and bad.loss_net_of_charges is False


def test_limits_never_read_a_json_boolean_or_a_fraction_as_a_number():
    # bool is an int in Python: true would be a 1-paisa loss limit (the day locked at the first paisa lost)
    read = RiskLimits.from_dict({"max_day_loss": True, "max_orders_per_minute": True, "max_order_value": False,
                                 "max_lots_per_instrument": 2.5, "max_orders_per_day": 40.0})
    assert read.max_day_loss is None and read.max_orders_per_minute is None
    assert read.max_order_value == RiskLimits().max_order_value  # false is no amount: the default stands
    assert read.max_lots_per_instrument is None and read.max_orders_per_day == 40


@pytest.mark.parametrize(("used", "level"), [(0.0, "ok"), (0.79, "ok"), (0.8, "warn"), (1.0, "locked")])
def test_meter_levels(used, level):
    assert meter_level(used) == level


def test_flatten_slices_by_freeze_in_whole_lots_and_skips_what_open_exits_cover():
    exposure = Exposure(net={"C1": -4000, "2885": 10, "F1": 130},
                        open_orders=[OpenOrder("F1", Side.SELL, 65)], ltp={"C1": 50_00})
    orders = flatten_orders(exposure, INSTRUMENTS.get)
    by_token: dict[str, list[int]] = {}
    for o in orders:
        assert o.kind is OrderKind.MARKET
        by_token.setdefault(o.token, []).append(o.quantity)
    assert by_token["C1"] == [1820, 1820, 360] and all(o.side is Side.BUY for o in orders if o.token == "C1")
    assert by_token["2885"] == [10]
    assert by_token["F1"] == [65]  # the open exit of 65 already covers half
    assert flatten_orders(Exposure(net={"F1": 65}, open_orders=[OpenOrder("F1", Side.SELL, 65)]),
                          INSTRUMENTS.get) == []
