"""Estimated statutory charges, checked by hand for one trade of each kind against the rate table
(services/charges.py cites each rate's source and effective date)."""

from __future__ import annotations

from datetime import date

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.orders import Side
from airalgo_desktop.services.charges import Charges, Kind, estimate, sources
from airalgo_desktop.services.positions import Fill

EXPIRY = date(2027, 1, 28)
CE = Instrument("C1", "NIFTY27JAN23500CE", "NIFTY", "NSE", "NFO", "CE", EXPIRY, 23500_00, lot_size=65)
FUT = Instrument("F1", "NIFTY27JANFUT", "NIFTY", "NSE", "NFO", "FUT", EXPIRY, lot_size=65)
EQ = Instrument("2885", "RELIANCE", "Reliance Industries")


def figures(c: Charges) -> tuple[int, ...]:
    return c.stt, c.exchange, c.ipft, c.sebi, c.stamp, c.gst


def test_options_round_trip_by_hand():
    # buy 65 @ ₹100 (premium 6,50,000 paisa), sell 65 @ ₹120 (7,80,000 paisa); turnover 14,30,000 paisa
    c = estimate([Fill("C1", Side.BUY, 65, 100_00), Fill("C1", Side.SELL, 65, 120_00)], CE)
    # STT 0.15 % of the sold premium = 1,170; exchange 0.03503 % of 14,30,000 = 500.929 → 501;
    # IPFT 0.0005 % = 7.15 → 7; SEBI 0.0001 % = 1.43 → 1; stamp 0.003 % of the bought 6,50,000 = 19.5 → 20;
    # GST 18 % of (500.929 + 7.15 + 1.43) = 91.71 → 92
    assert figures(c) == (1170, 501, 7, 1, 20, 92) and c.total == 1791 and c.kinds == {Kind.OPTIONS}


def test_futures_round_trip_by_hand():
    # buy 65 @ ₹23,500 (15,27,50,000 paisa), sell 65 @ ₹23,600 (15,34,00,000); turnover 30,61,50,000
    c = estimate([Fill("F1", Side.BUY, 65, 23500_00), Fill("F1", Side.SELL, 65, 23600_00)], FUT)
    # STT 0.05 % of the sell = 76,700; exchange 0.00173 % = 5,296.395 → 5,296; IPFT and SEBI 0.0001 % = 306.15
    # → 306 each; stamp 0.002 % of the buy = 3,055; GST 18 % of 5,908.695 = 1,063.57 → 1,064
    assert figures(c) == (76700, 5296, 306, 306, 3055, 1064)


def test_equity_intraday_by_hand():
    # buy 100 @ ₹1,300, sell 100 @ ₹1,310 the same day: intraday; turnover 2,61,00,000 paisa
    c = estimate([Fill("2885", Side.BUY, 100, 1300_00), Fill("2885", Side.SELL, 100, 1310_00)], EQ)
    # STT 0.025 % of the sell = 3,275; exchange 0.00297 % = 775.17 → 775; IPFT, SEBI 26.1 → 26;
    # stamp 0.003 % of the buy = 390; GST 18 % of 827.37 = 148.93 → 149
    assert figures(c) == (3275, 775, 26, 26, 390, 149) and c.kinds == {Kind.INTRADAY}


def test_equity_delivery_by_hand():
    # buy 10 @ ₹1,300 and keep it: delivery
    c = estimate([Fill("2885", Side.BUY, 10, 1300_00)], EQ)
    # STT 0.1 % = 1,300; exchange 38.61 → 39; IPFT, SEBI 1.3 → 1; stamp 0.015 % = 195; GST 18 % of 41.21 → 7
    assert figures(c) == (1300, 39, 1, 1, 195, 7) and c.kinds == {Kind.DELIVERY}


def test_cash_split_into_intraday_and_delivery():
    mixed = estimate([Fill("2885", Side.BUY, 150, 1300_00), Fill("2885", Side.SELL, 100, 1310_00)], EQ)
    intraday = estimate([Fill("2885", Side.BUY, 100, 1300_00), Fill("2885", Side.SELL, 100, 1310_00)], EQ)
    assert mixed.kinds == {Kind.INTRADAY, Kind.DELIVERY}
    # the 50 kept: STT 0.1 % of 65,00,000 = 6,500 on top of the intraday 3,275
    assert mixed.stt == intraday.stt + 6500
    assert mixed.stamp == 390 + 975  # 0.003 % intraday buy + 0.015 % delivery buy


def test_brokerage_is_added_and_taxed():
    plain = estimate([Fill("C1", Side.SELL, 65, 120_00)], CE)
    with_brokerage = estimate([Fill("C1", Side.SELL, 65, 120_00)], CE, brokerage=20_00)
    assert with_brokerage.total - plain.total == 20_00 + 360  # ₹20 and 18 % GST on it


def test_no_fills_no_charges_and_sources_cite_every_rate():
    assert estimate([], EQ).total == 0
    lines = sources()
    assert any("Finance Act 2026" in s and "options" in s for s in lines)
    assert any("1 Oct 2024" in s or "01 Oct 2024" in s for s in lines)
