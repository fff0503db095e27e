"""The simulator prices futures and options from its underlying's walk (Black-76 with a smile and term structure)."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from airalgo_desktop.domain.clock import FixedClock
from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.options import DEFAULT_RATE, choose_forward, implied_vol_or_none, years_to_expiry
from airalgo_desktop.instruments.demo import demo_universe
from airalgo_desktop.sim.market import Market
from tests.conftest import TEST_KEY

TOPIC = f"api:{TEST_KEY}"
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=IST)  # the market and the checks price at this moment, never the wall clock


@pytest.fixture(scope="module")
def master() -> InstrumentMaster:
    return InstrumentMaster(demo_universe(NOW.date()))


def _chain(master, name, expiry):
    legs = [i for i in master if i.name == name and i.expiry == expiry and i.instrument_type in ("CE", "PE")]
    return {(i.strike, i.instrument_type): i for i in legs}


def _expiries(master, name, *, with_future):
    futs = {i.expiry for i in master if i.name == name and i.instrument_type == "FUT"}
    now = NOW
    opts = sorted({i.expiry for i in master if i.name == name and i.instrument_type == "CE"
                   and years_to_expiry(i.expiry, now) > 1 / 365})
    return [e for e in opts if (e in futs) == with_future]


@pytest.mark.parametrize("with_future", [True, False], ids=["monthly-on-future", "weekly-on-parity"])
def test_client_iv_matches_simulator_vol_atm_and_five_strikes_each_side(master, with_future):
    market = Market(master, seed=11, clock=FixedClock(NOW))
    expiry = _expiries(master, "NIFTY", with_future=with_future)[0]
    chain = _chain(master, "NIFTY", expiry)
    future = next((i for i in master if i.name == "NIFTY" and i.instrument_type == "FUT" and i.expiry == expiry), None)
    tokens = {i.token for i in chain.values()} | {"26000"} | ({future.token} if future else set())
    market.step(tokens, 0.0, force_all=True)  # every leg trades at the same moment, like a snapshot
    now = NOW
    t = years_to_expiry(expiry, now)
    spot = market.ltp("26000")
    strikes = sorted({k for k, _ in chain})
    pairs = [(k, market.ltp(chain[k, "CE"].token), market.ltp(chain[k, "PE"].token)) for k in strikes]
    fwd = choose_forward(market.ltp(future.token) if future else None, pairs, spot, t)
    assert fwd is not None and fwd.source == ("future" if with_future else "parity")
    atm = min(strikes, key=lambda k: abs(k - fwd.price))
    i = strikes.index(atm)
    checked = 0
    for strike in strikes[i - 5: i + 6]:
        for kind in ("CE", "PE"):
            inst = chain[strike, kind]
            iv = implied_vol_or_none(market.ltp(inst.token), fwd.price, strike, t, kind == "CE")
            truth = market.vol_of(inst.token, now)
            assert iv is not None and truth is not None
            assert abs(iv - truth) < 0.002, (strike, kind, iv, truth)  # 0.2 vol points
            checked += 1
    assert checked == 22


def test_put_call_parity_within_ticks(master):
    market = Market(master, seed=3, clock=FixedClock(NOW))
    expiry = _expiries(master, "NIFTY", with_future=True)[0]
    chain = _chain(master, "NIFTY", expiry)
    future = next(i for i in master if i.name == "NIFTY" and i.instrument_type == "FUT" and i.expiry == expiry)
    market.step({i.token for i in chain.values()} | {future.token}, 0.0, force_all=True)
    t = years_to_expiry(expiry, NOW)
    f = market.ltp(future.token)
    for strike in sorted({k for k, _ in chain}):
        c, p = market.ltp(chain[strike, "CE"].token), market.ltp(chain[strike, "PE"].token)
        assert c % 5 == 0 and p % 5 == 0
        if min(c, p) <= 5:
            continue  # a leg floored at the minimum tick breaks parity, as on the exchange
        assert abs((c - p) - (f - strike) * math.exp(-DEFAULT_RATE * t)) <= 3 * 5, strike


def test_options_follow_the_underlying_and_tick_less_often_than_cash(master):
    market = Market(master, seed=5, clock=FixedClock(NOW))
    expiry = _expiries(master, "NIFTY", with_future=True)[0]
    chain = _chain(master, "NIFTY", expiry)
    call = chain[min({k for k, _ in chain}, key=lambda k: abs(k - 23_400_00)), "CE"]
    market.step({call.token}, 0.0, force_all=True)
    before = market.ltp(call.token)
    market.set_ltp("26000", market.ltp("26000") + 200_00)  # the index jumps ₹200
    market.step({call.token}, 0.1, force_all=True)
    assert market.ltp(call.token) > before + 50_00
    # over 200 steps of 0.25 s, a cash row trades most steps, an option leg about one step in twelve
    legs = [i.token for i in chain.values()]
    cash = ["2885", "3045", "1594", "11536"]
    counts = dict.fromkeys(legs + cash, 0)
    for n in range(200):
        for token in market.step(set(legs + cash), 1.0 + n * 0.25):
            if token in counts:
                counts[token] += 1
    option_rate = sum(counts[t] for t in legs) / len(legs) / 200
    cash_rate = sum(counts[t] for t in cash) / len(cash) / 200
    assert option_rate < 0.2 < 0.5 < cash_rate


def _order(token, side, qty, kind="market", price=0, ltp=0):
    return {"token_number": token, "market_limit_sl": kind, "price": price, "order_type": side,
            "trigger_price": 0, "validity": "Day", "quantity": qty, "ltp": ltp}


async def test_option_buy_margin_is_premium_and_writing_needs_span_like_margin(sim, joined):
    sim.engine.margin_limit = 10_00_000_00  # ₹10 lakh
    leg = next(i for i in sim.master if i.name == "NIFTY" and i.instrument_type == "PE" and i.expiry
               and abs(i.strike - sim.market.ltp("26000")) < 100_00)
    ltp = sim.market.ltp(leg.token)
    await joined.send(TOPIC, "order", _order(leg.token, "B", 65, "limit", price=ltp, ltp=ltp))
    pending = (await joined.event("order_response"))["payload"]
    assert pending["status"] == "Pending" and pending["instrument"] == "OPTIDX" and pending["option_type"] == "PE"
    assert pending["required_margin"] == 65 * ltp  # the premium, in paisa
    call = next(i for i in sim.master if i.name == "NIFTY" and i.instrument_type == "CE" and i.expiry == leg.expiry
                and i.strike == leg.strike)
    c_ltp = sim.market.ltp(call.token)
    await joined.send(TOPIC, "order", _order(call.token, "S", 65, "limit", price=c_ltp + 10000, ltp=c_ltp))
    while (sold := (await joined.event("order_response"))["payload"])["token_number"] != call.token:
        pass
    spot = sim.market.ltp("26000")
    assert sold["status"] == "Pending"
    assert 0.10 * 65 * spot < sold["required_margin"] < 0.14 * 65 * spot  # SPAN + exposure on the notional


async def test_index_rows_are_not_tradable(joined):
    await joined.send(TOPIC, "order", _order("26000", "B", 1))
    rejected = (await joined.event("order_response"))["payload"]
    assert rejected["status"] == "Rejected" and "not tradable" in rejected["error"]
