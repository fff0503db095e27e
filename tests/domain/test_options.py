"""Black-76 pricing, greeks, implied volatility and payoffs (airalgo_desktop.domain.options)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest

from airalgo_desktop.domain import options as o
from airalgo_desktop.domain.nsetime import IST


def test_black76_price_haug_worked_example():
    # E. G. Haug, The Complete Guide to Option Pricing Formulas, 2nd ed., §1.1.6 "Options on futures" (Black-76):
    # F = 19, X = 19, T = 0.75, r = 10 %, σ = 28 % → call = put = 1.7011.
    call = float(o.black76(19.0, 19.0, 0.75, 0.28, True, rate=0.10))
    put = float(o.black76(19.0, 19.0, 0.75, 0.28, False, rate=0.10))
    assert call == pytest.approx(1.7011, abs=5e-5)
    assert put == pytest.approx(1.7011, abs=5e-5)


def test_delta_haug_futures_option_example():
    # Haug 2nd ed., §2.1.1 delta of a futures option: F = 105, X = 100, T = 0.5, r = 10 %, σ = 36 %
    # → call delta 0.5946, put delta −0.3566.
    g_call = o.greeks(105.0, 100.0, 0.5, 0.36, True, rate=0.10)
    g_put = o.greeks(105.0, 100.0, 0.5, 0.36, False, rate=0.10)
    assert float(g_call.delta) == pytest.approx(0.5946, abs=5e-5)
    assert float(g_put.delta) == pytest.approx(-0.3566, abs=5e-5)


def test_greeks_match_vollib_reference_values():
    # vollib 1.0.11, vollib/black/greeks/analytical.py doctests (F = 49, K = 50, r = 5 %, t = 0.3846, σ = 20 %),
    # same conventions as ours: theta per calendar day (/365), vega per 1 vol point (/100).
    c = o.greeks(49.0, 50.0, 0.3846, 0.2, True, rate=0.05)
    p = o.greeks(49.0, 50.0, 0.3846, 0.2, False, rate=0.05)
    assert float(c.delta) == pytest.approx(0.45107017482201828, abs=1e-6)
    assert float(c.gamma) == pytest.approx(0.0640646705882, abs=1e-6)
    assert float(c.vega) == pytest.approx(0.118317785624, abs=1e-6)
    assert float(c.theta) == pytest.approx(-0.00816236877462, abs=1e-6)
    assert float(p.theta) == pytest.approx(-0.00802799155312, abs=1e-6)
    # vollib's black() doctest: F = K = 100, σ = 20 %, t = 0.5, r = 2 % → 5.5811067246
    assert float(o.black76(100.0, 100.0, 0.5, 0.2, True, rate=0.02)) == pytest.approx(5.5811067246, abs=1e-8)


def test_norm_cdf_matches_math_erfc_into_the_tails():
    xs = np.linspace(-37.0, 8.0, 4501)
    ref = np.array([0.5 * math.erfc(-x / math.sqrt(2.0)) for x in xs])
    got = o.norm_cdf(xs)
    mask = ref > 0
    assert np.max(np.abs(got[mask] - ref[mask]) / ref[mask]) < 1e-12


def test_implied_vol_round_trip_over_a_chain():
    rng = np.random.default_rng(7)
    n = 5000
    forward = 24_000.0
    strikes = forward * np.exp(rng.uniform(-0.2, 0.2, n))
    years = rng.uniform(1 / 365 / 4, 0.3, n)
    vols = rng.uniform(0.06, 0.6, n)
    calls = rng.random(n) < 0.5
    prices = o.black76(forward, strikes, years, vols, calls)
    ivs = o.implied_vol(prices, forward, strikes, years, calls)
    intrinsic = np.where(calls, np.maximum(forward - strikes, 0), np.maximum(strikes - forward, 0))
    has_time_value = prices - intrinsic > 0.01  # a paisa or more above intrinsic (below it: None, tested apart)
    assert not np.isnan(ivs[has_time_value]).any()
    assert np.max(np.abs(ivs[has_time_value] - vols[has_time_value])) < 1e-8


def test_implied_vol_of_paisa_prices_and_put_call_symmetry():
    # NIFTY-like: forward 24,012.35, strike 24,000, 7 days, 13 % vol; premia on the 5-paisa grid
    years = 7 / 365
    call = round(float(o.black76(2_401_235, 2_400_000, years, 0.13, True)) / 5) * 5
    put = round(float(o.black76(2_401_235, 2_400_000, years, 0.13, False)) / 5) * 5
    iv_call = o.implied_vol_or_none(call, 2_401_235, 2_400_000, years, True)
    iv_put = o.implied_vol_or_none(put, 2_401_235, 2_400_000, years, False)
    assert iv_call is not None and iv_put is not None
    assert abs(iv_call - 0.13) < 0.0005 and abs(iv_put - 0.13) < 0.0005


def test_below_intrinsic_and_nonsense_prices_give_none():
    years = 20 / 365
    # deep ITM call quoted below its intrinsic value (F − K = ₹2,000)
    assert o.implied_vol_or_none(1_990_00, 2_400_000, 2_200_000, years, True) is None
    # exactly intrinsic: no volatility explains it either
    assert o.implied_vol_or_none(2_000_00, 2_400_000, 2_200_000, years, True) is None
    # a call worth more than the forward, a zero price, an expired option
    assert o.implied_vol_or_none(2_500_000, 2_400_000, 2_200_000, years, True) is None
    assert o.implied_vol_or_none(0, 2_400_000, 2_200_000, years, True) is None
    assert o.implied_vol_or_none(100_00, 2_400_000, 2_400_000, 0.0, True) is None
    # vectorised: NaN exactly where the price makes no sense
    ivs = o.implied_vol([1_990_00, 2_050_00], 2_400_000, 2_200_000, years, True)
    assert math.isnan(ivs[0]) and 0.01 < ivs[1] < 2


def test_time_to_expiry_counts_to_1530_ist():
    now = datetime(2026, 11, 24, 15, 30, tzinfo=IST)
    assert o.years_to_expiry(date(2026, 11, 25), now) == pytest.approx(1 / 365)
    assert o.years_to_expiry(date(2026, 11, 24), datetime(2026, 11, 24, 9, 15, tzinfo=IST)) == pytest.approx(
        6.25 / 24 / 365
    )
    assert o.years_to_expiry(date(2026, 11, 24), datetime(2026, 11, 24, 15, 31, tzinfo=IST)) == 0.0
    assert o.days_to_expiry(date(2026, 12, 1), date(2026, 11, 25)) == 6


def test_forward_from_future_else_parity_at_atm():
    years = 10 / 365
    f = o.choose_forward(2_410_000, [], 2_400_000, years)
    assert f == o.ForwardQuote(2_410_000, "future")
    pairs = [(2_390_000, 180_00, 60_00), (2_400_000, 120_00, 100_00), (2_410_000, 75_00, 155_00)]
    quote = o.choose_forward(None, pairs, 2_401_000, years)
    assert quote is not None and quote.source == "parity" and quote.strike == 2_400_000
    assert quote.price == round(2_400_000 + 20_00 * math.exp(o.DEFAULT_RATE * years))
    assert o.choose_forward(None, [(2_400_000, None, 100_00)], 2_400_000, years) is None


def test_atm_strike_is_nearest_listed_strike():
    strikes = [2_390_000, 2_395_000, 2_400_000, 2_405_000]
    assert o.atm_strike(strikes, 2_397_600) == 2_400_000
    assert o.atm_strike(strikes, 2_397_500) == 2_395_000  # tie → lower
    assert o.atm_strike([], 1) is None


# ------------------------------------------------------------------------------------------ payoff, in paisa
LOT = 75


def test_bull_call_spread_payoff_by_hand():
    # long 1 lot 24,000 CE at ₹150, short 1 lot 24,200 CE at ₹70: net debit ₹80 × 75 = ₹6,000
    legs = [
        o.PayoffLeg.opened("CE", LOT, 150_00, strike=2_400_000),
        o.PayoffLeg.opened("CE", -LOT, 70_00, strike=2_420_000),
    ]
    at = [2_380_000, 2_400_000, 2_408_000, 2_410_000, 2_420_000, 2_450_000]
    assert o.payoff_at_expiry(legs, at) == [
        -6_000_00,  # both expire worthless: −80 × 75
        -6_000_00,
        0,  # 24,080: breakeven = 24,000 + 80
        20_00 * LOT,  # 24,100: +100 − 80 = ₹20 a unit
        120_00 * LOT,  # capped: 200 − 80
        120_00 * LOT,
    ]
    summary = o.payoff_summary(legs)
    assert summary.breakevens == [2_408_000]
    assert summary.max_profit == 9_000_00 and summary.max_loss == -6_000_00


def test_short_straddle_payoff_by_hand():
    # short 1 lot 24,000 CE at ₹210.35 and 1 lot 24,000 PE at ₹189.65: credit ₹400 a unit = ₹30,000
    legs = [
        o.PayoffLeg.opened("CE", -LOT, 210_35, strike=2_400_000),
        o.PayoffLeg.opened("PE", -LOT, 189_65, strike=2_400_000),
    ]
    assert o.payoff_at_expiry(legs, [2_400_000, 2_350_000, 2_360_000, 2_440_000, 2_500_000]) == [
        30_000_00,
        (400_00 - 500_00) * LOT,  # −₹7,500
        0,
        0,
        (400_00 - 1_000_00) * LOT,  # −₹45,000
    ]
    summary = o.payoff_summary(legs)
    assert summary.breakevens == [2_360_000, 2_440_000]
    assert summary.max_profit == 30_000_00
    assert summary.max_loss is None  # unbounded above


def test_covered_future_payoff_by_hand():
    # long 1 lot future at ₹24,050, short 1 lot 24,200 CE at ₹95.40
    legs = [
        o.PayoffLeg.opened("FUT", LOT, 2_405_000),
        o.PayoffLeg.opened("CE", -LOT, 95_40, strike=2_420_000),
    ]
    assert o.payoff_at_expiry(legs, [2_300_000, 2_405_000, 2_420_000, 2_600_000]) == [
        (-1_050_00 + 95_40) * LOT,  # −₹71,595
        95_40 * LOT,
        (150_00 + 95_40) * LOT,
        (150_00 + 95_40) * LOT,  # capped at strike − entry + premium
    ]
    summary = o.payoff_summary(legs)
    assert summary.max_profit == 245_40 * LOT
    assert summary.max_loss == (-2_405_000 + 95_40) * LOT  # underlying at zero
    assert summary.breakevens == [2_405_000 - 95_40]


def test_payoff_today_between_entry_and_expiry():
    now = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
    expiry = date(2026, 12, 1)
    legs = [
        o.PayoffLeg.opened("CE", -LOT, 210_00, strike=2_400_000, expiry=expiry, vol=0.13),
        o.PayoffLeg.opened("PE", -LOT, 190_00, strike=2_400_000, expiry=expiry, vol=0.13),
    ]
    grid = [2_300_000, 2_400_000, 2_500_000]
    today = o.payoff_today(legs, grid, now)
    at_expiry = o.payoff_at_expiry(legs, grid)
    # a short straddle is worth less today than at expiry at the strike (time value still to decay)...
    assert today[1] < at_expiry[1]
    assert all(isinstance(v, int) for v in today)
    # ...and equals the Black-76 revaluation by hand
    t = o.years_to_expiry(expiry, now)
    by_hand = 400_00 * LOT - LOT * (
        float(o.black76(2_400_000, 2_400_000, t, 0.13, True)) + float(o.black76(2_400_000, 2_400_000, t, 0.13, False))
    )
    assert today[1] == round(by_hand)


def test_price_grid_includes_strikes_on_tick():
    grid = o.price_grid(2_400_000, [2_400_000, 2_420_000])
    assert 2_400_000 in grid and 2_420_000 in grid
    assert all(p % 5 == 0 for p in grid) and grid == sorted(grid)


def test_warm_start_gives_the_same_answer():
    rng = np.random.default_rng(3)
    n = 400
    strikes = 24_000.0 * np.exp(rng.uniform(-0.15, 0.15, n))
    years = rng.uniform(2 / 365, 0.2, n)
    vols = rng.uniform(0.08, 0.5, n)
    calls = rng.random(n) < 0.5
    prices = o.black76(24_000.0, strikes, years, vols, calls)
    cold = o.implied_vol(prices, 24_000.0, strikes, years, calls)
    guess = vols * rng.uniform(0.7, 1.4, n)
    guess[::7] = np.nan  # unknown for some legs
    warm = o.implied_vol(prices, 24_000.0, strikes, years, calls, guess=guess)
    assert np.allclose(np.nan_to_num(cold), np.nan_to_num(warm), atol=1e-9, equal_nan=True)
