"""Option chain state (Qt-free): expiries, ATM and recentring, subscriptions, IV/greeks, option positions."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airalgo_desktop.domain.clock import FixedClock
from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.options import payoff_at_expiry, payoff_today
from airalgo_desktop.domain.orders import Side
from airalgo_desktop.instruments.demo import demo_universe
from airalgo_desktop.services.chain import (
    ChainState,
    OptionCatalog,
    greek_totals,
    payoff_legs,
    payoff_reference,
    position_greeks,
)
from airalgo_desktop.services.positions import Fill, PositionBook
from airalgo_desktop.sim.market import Market
from airalgo_desktop.store.market import MarketStore

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=IST)  # the market prices at this moment too: no test reads the wall clock


@pytest.fixture(scope="module")
def master() -> InstrumentMaster:
    return InstrumentMaster(demo_universe(TODAY))


@pytest.fixture
def market(master) -> Market:
    return Market(master, seed=2, clock=FixedClock(NOW))


def feed(market: Market, store: MarketStore, tokens) -> None:
    store.apply(market.step(set(tokens), 0.0, force_all=True))


def test_catalog_lists_underlyings_and_expiries_in_order(master):
    catalog = OptionCatalog(master)
    assert catalog.underlyings()[:2] == ["NIFTY", "BANKNIFTY"] and "RELIANCE" in catalog.underlyings()
    expiries = catalog.expiries("NIFTY", TODAY)
    assert expiries == sorted(expiries) and expiries[0] == date(2026, 12, 1)
    assert catalog.underlying_of("26000") == "NIFTY"  # the index row
    assert catalog.underlying_of("2885") == "RELIANCE"  # a cash row
    assert catalog.underlying_of("35013") == "NIFTY"  # a future
    assert catalog.underlying_of("22") is None  # ACC has futures but no options in the demo


def test_atm_window_recentres_and_resubscribes(master, market):
    store = MarketStore()
    wanted: list[tuple[str, ...]] = []
    chain = ChainState(OptionCatalog(master), store, "NIFTY", width=10, today=TODAY, on_tokens=wanted.append)
    assert len(chain.window()) == 21 and chain.tokens == wanted[-1]
    assert "26000" in chain.tokens and len(chain.tokens) == 1 + 42  # weekly: no future of its own
    feed(market, store, chain.tokens)
    view = chain.compute(NOW)
    assert view.days == 6 and view.forward is not None and view.forward.source == "parity"
    atm_row = next(r for r in view.rows if r.atm)
    assert atm_row.strike == view.atm and abs(view.atm - view.forward.price) <= 25_00
    assert view.rows[10].atm  # ATM in the middle of the window
    before = chain.tokens
    # the index rallies ₹500: ATM moves up ten strikes, the window follows, strikes that left are released
    market.set_ltp("26000", market.ltp("26000") + 500_00)
    feed(market, store, set(chain.tokens) | {"26000"})
    view = chain.compute(NOW)
    assert view.atm >= atm_row.strike + 400_00 and view.rows[10].atm
    assert chain.tokens != before and wanted[-1] == chain.tokens
    released = set(before) - set(chain.tokens)
    assert released and all(master[t].strike < view.atm for t in released)
    chain.set_width(30)
    assert chain.width == 25 and 21 < len(chain.window()) <= 51  # clipped where the listed strikes end
    chain.close()
    assert wanted[-1] == ()


def test_iv_greeks_and_itm_shading(master, market):
    store = MarketStore()
    catalog = OptionCatalog(master)
    chain = ChainState(catalog, store, "NIFTY", date(2026, 12, 29), today=TODAY)
    feed(market, store, chain.tokens)
    view = chain.compute(NOW)
    assert view.forward.source == "future"
    for row in view.rows:
        assert row.call.itm == (row.strike < view.forward.price) and row.put.itm == (row.strike > view.forward.price)
    atm = next(r for r in view.rows if r.atm)
    assert 0.4 < atm.call.delta < 0.6 and -0.6 < atm.put.delta < -0.4
    assert atm.call.theta < 0 and atm.call.vega > 0 and atm.call.gamma > 0
    assert abs(atm.call.iv - market.vol_of(atm.call.token)) < 0.002
    # a deep ITM call quoted below intrinsic shows no IV or greeks, never a wrong number
    deep = view.rows[0].call
    store.apply({deep.token: {"ltp": view.forward.price - view.rows[0].strike - 10_00, "ltq": 65, "ltt": ""}})
    view = chain.compute(NOW)
    assert view.rows[0].call.iv is None and view.rows[0].call.delta is None and view.rows[0].call.ltp is not None


def test_option_position_greeks_and_payoff(master, market):
    store = MarketStore()
    catalog = OptionCatalog(master)
    expiry = date(2026, 12, 29)
    series = catalog.series("NIFTY", expiry)
    chain = ChainState(catalog, store, "NIFTY", expiry, today=TODAY)
    feed(market, store, chain.tokens)
    atm = chain.compute(NOW).atm
    call, put = series.calls[atm], series.puts[atm]
    book = PositionBook([
        Fill(call.token, Side.SELL, 65, store.ltp(call.token)),
        Fill(put.token, Side.SELL, 65, store.ltp(put.token)),
    ])
    legs = position_greeks(book, catalog, store, NOW)
    assert legs[call.token].theta > 0 and legs[put.token].theta > 0  # short options earn the decay
    assert legs[call.token].vega < 0 and legs[call.token].delta < 0 < legs[put.token].delta
    (delta, theta, vega), = greek_totals(legs.values()).values()
    assert abs(delta) < 0.2 * 65 and theta > 0 and vega < 0  # a straddle is near delta-neutral
    payoff = payoff_legs(book, catalog, store, "NIFTY", NOW)
    credit = 65 * (store.ltp(call.token) + store.ltp(put.token))
    assert payoff_at_expiry(payoff, [atm]) == [credit]
    assert all(leg.vol is not None for leg in payoff)


def _book_of(draw, catalog: OptionCatalog, market: Market, store: MarketStore, expiries: list[date]):
    """A random NIFTY book: options and futures of several expiries, some squared off, filled near the market."""
    picks: list[Instrument] = []
    for _ in range(draw(st.integers(1, 6))):
        series = catalog.series("NIFTY", draw(st.sampled_from(expiries)))
        kind = draw(st.sampled_from(["CE", "PE", "FUT"] if series.future else ["CE", "PE"]))
        if kind == "FUT":
            picks.append(series.future)
            continue
        middle = len(series.strikes) // 2
        strike = draw(st.sampled_from(series.strikes[middle - 12: middle + 13]))
        picks.append((series.calls if kind == "CE" else series.puts)[strike])
    store.apply(market.step({i.token for i in picks} | {"26000"}, 0.0, force_all=True))
    fills = []
    for inst in picks:
        ltp = store.ltp(inst.token)
        for _ in range(draw(st.integers(1, 3))):  # sometimes both ways: a partly or wholly squared-off row
            price = max(5, ltp + 5 * draw(st.integers(-2_000, 2_000)))
            fills.append(Fill(inst.token, draw(st.sampled_from([Side.BUY, Side.SELL])),
                              inst.lot_size * draw(st.integers(1, 4)), price))
    return PositionBook(fills), picks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_payoff_pnl_now_equals_positions_for_any_mix_of_expiries(master, data):
    """Issue 25 item 4: every leg valued at its own expiry's forward and time, anchored at its LTP, so the payoff's
    "P&L now" is the positions tab's total to the paisa — with the legs' chains open (parity forwards from live
    strikes) or closed (futures or spot), for books of one or many expiries."""
    catalog = OptionCatalog(master)
    market = Market(master, seed=data.draw(st.integers(0, 10_000)), clock=FixedClock(NOW))
    store = MarketStore()
    expiries = catalog.expiries("NIFTY", TODAY)[:data.draw(st.integers(1, 7))]
    book, picks = _book_of(data.draw, catalog, market, store, expiries)
    live = {i.token for i in picks} | {"26000"}
    if data.draw(st.booleans(), label="chains open"):
        for expiry in {i.expiry for i in picks}:
            chain = ChainState(catalog, store, "NIFTY", expiry, today=TODAY)
            store.apply(market.step(set(chain.tokens), 0.0, force_all=True))
            live |= set(chain.tokens)
    legs = payoff_legs(book, catalog, store, "NIFTY", NOW, live=live)
    centre, _quote = payoff_reference(legs, catalog, store, "NIFTY", NOW, live)
    positions_total = book.total({t: store.ltp(t) for t in book.positions})
    assert payoff_today(legs, [centre], NOW, reference=centre) == [positions_total]
    # the curve around it is the same valuation: continuous through the centre, not a jump to another forward
    near = payoff_today(legs, [centre - 5, centre + 5], NOW, reference=centre)
    exposure = sum(abs(leg.quantity) for leg in legs) * 10
    assert all(abs(v - positions_total) <= exposure for v in near)


def test_payoff_of_two_expiries_matches_positions_as_in_the_report(master):
    """The report's book: a NIFTY 8 DEC 23350 CE bought and a 15 DEC 23350 PE sold. 'P&L now' was valued at the
    8 DEC forward for both legs (+₹736.97 against −₹13.00 in Positions)."""
    catalog = OptionCatalog(master)
    market = Market(master, seed=4, clock=FixedClock(NOW))
    store = MarketStore()
    call = catalog.series("NIFTY", date(2026, 12, 8)).calls[23_350_00]
    put = catalog.series("NIFTY", date(2026, 12, 15)).puts[23_350_00]
    for expiry in (date(2026, 12, 8), date(2026, 12, 15)):
        store.apply(market.step(set(ChainState(catalog, store, "NIFTY", expiry, today=TODAY).tokens), 0.0,
                                force_all=True))
    book = PositionBook([Fill(call.token, Side.BUY, 65, store.ltp(call.token) + 1_00),
                         Fill(put.token, Side.SELL, 65, store.ltp(put.token) - 1_00)])
    legs = payoff_legs(book, catalog, store, "NIFTY", NOW)
    assert {leg.expiry for leg in legs} == {date(2026, 12, 8), date(2026, 12, 15)}
    forwards = {leg.expiry: leg.forward for leg in legs}
    assert forwards[date(2026, 12, 15)] > forwards[date(2026, 12, 8)]  # each leg at its own expiry's forward
    centre, _quote = payoff_reference(legs, catalog, store, "NIFTY", NOW)
    positions_total = book.total({t: store.ltp(t) for t in book.positions})
    assert positions_total == -2 * 65 * 1_00  # each leg filled ₹1 worse than its LTP
    assert payoff_today(legs, [centre], NOW, reference=centre) == [positions_total]
