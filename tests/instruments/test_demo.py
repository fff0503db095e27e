"""The demo F&O universe is generated for the day: alive, on NSE's expiry rules, with stable tokens."""

from __future__ import annotations

import calendar
import itertools
from datetime import date

from airalgo_desktop.instruments.demo import (
    DOC_NIFTY_FUTURE_TOKEN,
    ExpiryRules,
    demo_universe,
    option_symbol,
    sample_cash_rows,
    stock_strike_step,
)

TODAY = date(2026, 11, 25)  # a Wednesday, the day after November's last Tuesday


def _by(universe, **what):
    return [i for i in universe if all(getattr(i, k) == v for k, v in what.items())]


def test_nothing_expired_and_expiries_are_tuesdays():
    universe = demo_universe(TODAY)
    expiries = {i.expiry for i in universe if i.expiry is not None}
    assert expiries and min(expiries) >= TODAY
    assert all(d.weekday() == calendar.TUESDAY for d in expiries)


def test_nifty_weekly_and_monthly_banknifty_monthly_only():
    universe = demo_universe(TODAY)
    nifty = sorted({i.expiry for i in _by(universe, name="NIFTY", instrument_type="CE")})
    assert nifty == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22),
                     date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)]
    bank = sorted({i.expiry for i in _by(universe, name="BANKNIFTY", instrument_type="CE")})
    assert bank == [date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)]  # no weeklies since Nov 2024
    # the rule is configurable (it has changed before)
    weekly_bank = demo_universe(TODAY, ExpiryRules(weekly=("NIFTY", "BANKNIFTY")))
    assert date(2026, 12, 1) in {i.expiry for i in _by(weekly_bank, name="BANKNIFTY", instrument_type="PE")}
    thursday = demo_universe(TODAY, ExpiryRules(weekday=calendar.THURSDAY))
    assert all(i.expiry.weekday() == calendar.THURSDAY for i in thursday if i.expiry)


def test_holiday_moves_expiry_to_previous_trading_day():
    rules = ExpiryRules(holidays=frozenset({date(2026, 12, 29)}))
    assert rules.monthly_expiry(2026, 12) == date(2026, 12, 28)
    assert rules.weekly_expiries(date(2026, 12, 23), 1) == [date(2026, 12, 28)]


def test_futures_three_months_lots_and_doc_token():
    universe = demo_universe(TODAY)
    futs = sorted(_by(universe, name="NIFTY", instrument_type="FUT"), key=lambda i: i.expiry)
    assert [f.expiry for f in futs] == [date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)]
    assert futs[0].token == DOC_NIFTY_FUTURE_TOKEN and futs[0].symbol == "NIFTY26DECFUT"
    assert futs[0].api_instrument == "FUTIDX"
    lots = {name: _by(universe, name=name, instrument_type="FUT")[0].lot_size
            for name in ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "RELIANCE")}
    assert lots == {"NIFTY": 65, "BANKNIFTY": 30, "FINNIFTY": 60, "MIDCPNIFTY": 120, "RELIANCE": 500}
    rel = _by(universe, name="RELIANCE", instrument_type="FUT")[0]
    assert rel.api_instrument == "FUTSTK"


def test_strikes_on_the_underlyings_step_around_the_reference():
    universe = demo_universe(TODAY)
    strikes = sorted({i.strike for i in _by(universe, name="NIFTY", instrument_type="CE", expiry=date(2026, 12, 1))})
    assert len(strikes) == 41 and all(b - a == 50_00 for a, b in itertools.pairwise(strikes))
    assert strikes[20] == 23_400_00
    bank = sorted({i.strike for i in _by(universe, name="BANKNIFTY", instrument_type="PE")})
    assert all(k % 100_00 == 0 for k in bank)
    assert stock_strike_step(1_240_00) == 20_00 and stock_strike_step(760_25) == 10_00
    rel = sorted({i.strike for i in _by(universe, name="RELIANCE", instrument_type="CE")})
    assert all(k % 20_00 == 0 for k in rel) and rel[0] < 1_240_00 < rel[-1]
    opt = _by(universe, name="NIFTY", instrument_type="CE", strike=23_400_00, expiry=date(2026, 12, 1))[0]
    assert opt.api_instrument == "OPTIDX" and opt.lot_size == 65 and opt.prev_close > 0 and opt.tick_size == 5


def test_tokens_stable_unique_and_cash_rows_keep_real_tokens():
    a = demo_universe(TODAY)
    b = demo_universe(TODAY)
    assert [(i.token, i.symbol) for i in a] == [(i.token, i.symbol) for i in b]
    assert len({i.token for i in a}) == len(a)
    # a contract keeps its token the next day too
    tomorrow = {i.symbol: i.token for i in demo_universe(date(2026, 11, 26))}
    same = [i for i in a if i.symbol in tomorrow]
    assert same and all(tomorrow[i.symbol] == i.token for i in same)
    cash = {i.token: i.symbol for i in sample_cash_rows()}
    mine = {i.token: i.symbol for i in a if i.instrument_type == "EQ"}
    assert mine == cash and mine["2885"] == "RELIANCE"
    index = {i.token: i.symbol for i in a if i.instrument_type == "INDEX"}
    assert index == {"26000": "NIFTY 50", "26009": "NIFTY BANK", "26037": "NIFTY FIN SERVICE",
                     "26074": "NIFTY MID SELECT"}


def test_trading_symbols_follow_nse_style():
    assert option_symbol("NIFTY", date(2026, 12, 1), 24_000_00, "CE", monthly=False) == "NIFTY26D0124000CE"
    assert option_symbol("NIFTY", date(2026, 12, 29), 24_000_00, "PE", monthly=True) == "NIFTY26DEC24000PE"
    assert option_symbol("ITC", date(2026, 12, 29), 452_50, "CE", monthly=True) == "ITC26DEC452.5CE"
