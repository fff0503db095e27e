"""The options desk: it follows PositionsChanged and InstrumentsChanged by notice (never a call) and streams the
legs of open chains while they are open."""

from __future__ import annotations

from datetime import date, datetime

from airalgo_desktop.desk import POSITIONS_OWNER, InstrumentsChanged, OptionsDesk, PositionsChanged
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import Side
from airalgo_desktop.instruments import bundled_universe
from airalgo_desktop.services.positions import Fill, PositionBook
from tests.desk.fakes import context

TODAY = date(2025, 1, 9)
NOW = datetime(2025, 1, 9, 10, 30, tzinfo=IST)


def test_open_option_positions_stream_with_what_prices_them() -> None:
    master = bundled_universe(TODAY)
    ctx, bus = context(master)
    positions = PositionBook()
    options = OptionsDesk(ctx, positions, now=lambda: NOW)
    catalog = options.catalog
    expiry = next(e for e in catalog.expiries("NIFTY", TODAY) if e in catalog.futures("NIFTY"))  # a monthly
    series = catalog.series("NIFTY", expiry)
    assert series is not None
    call = next(iter(series.calls.values()))
    positions.add(Fill(call.token, Side.BUY, call.lot_size, 100_00, 1.0))
    bus.publish(PositionsChanged(1))
    wanted = set(ctx.subscriptions.wanted_by(POSITIONS_OWNER))
    assert call.token in wanted and catalog.spot_tokens["NIFTY"] in wanted
    assert catalog.futures("NIFTY")[expiry].token in wanted
    (leg,) = options.payoff("NIFTY")
    assert leg.strike == call.strike and leg.quantity == call.lot_size
    bus.publish(InstrumentsChanged("another master"))
    assert options.catalog is not catalog  # indexed again on first use


def test_a_chain_streams_its_legs_until_it_is_closed() -> None:
    ctx, _bus = context(bundled_universe(TODAY))
    options = OptionsDesk(ctx, PositionBook(), now=lambda: NOW)
    chain = options.open_chain("NIFTY", width=3)
    assert ctx.subscriptions.tokens and set(chain.tokens) <= ctx.subscriptions.tokens
    options.close_chain(chain)
    assert not options.chains and ctx.subscriptions.tokens == frozenset()
