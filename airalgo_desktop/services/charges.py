"""Estimated statutory charges of a day's fills on NSE: STT, exchange transaction charges (with the Investor
Protection Fund Trust levy), SEBI turnover fee, stamp duty and GST. Pure, exact arithmetic (fractions of paisa),
rounded to the paisa once per charge per instrument, as a contract note does.

The rates live in one table, :data:`RATES`, each with its source and the date it took effect, so a change in the
law is one edit here (and one line in the test that checks the arithmetic by hand). Brokerage is the broker's and
is not known to this app: it is 0 unless the caller passes it; GST is computed on the part it applies to
(exchange transaction charges + SEBI fee + brokerage).

Kinds. A cash trade bought and sold on the same day is *intraday* for tax purposes; what is left over is
*delivery* (the AirAlgo API carries no product type, so the day's matched quantity is the intraday part).
Options are charged on premium; an exercised option's STT on intrinsic value is not estimated (the app never sees
an exercise).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from ..domain.instruments import Instrument
from ..domain.money import Paisa
from ..domain.orders import Side
from .positions import Fill, round_paisa


class Kind(enum.StrEnum):
    """What a charge rate applies to."""

    DELIVERY = "equity delivery"
    INTRADAY = "equity intraday"
    FUTURES = "futures"
    OPTIONS = "options"


def pct(text: str) -> Fraction:
    """``pct("0.025")`` → 0.025 % as an exact fraction."""
    return Fraction(text) / 100


@dataclass(frozen=True)
class Rate:
    """One statutory rate: the fraction of turnover (or premium) it takes, on which side."""

    buy: Fraction
    sell: Fraction
    source: str
    effective: date


# ---------------------------------------------------------------------------------------------------------------
# THE RATE TABLE. Edit here when the law changes; tests/services/test_charges.py checks one trade of each kind by
# hand against these figures.
# ---------------------------------------------------------------------------------------------------------------
_STT_SOURCE = "Finance Act 2026 (Union Budget 2026-27), Securities Transaction Tax, effective 1 Apr 2026"
_NSE_SOURCE = "NSE circular on revised transaction charges (uniform slab), effective 1 Oct 2024"
_IPFT_SOURCE = "NSE Investor Protection Fund Trust levy, as shown on brokers' contract notes since 1 Oct 2024"
_SEBI_SOURCE = "SEBI turnover fee ₹10 per crore (SEBI (Stock Brokers) Regulations, fee schedule)"
_STAMP_SOURCE = "Indian Stamp Act as amended by the Finance Act 2019, buyer pays, effective 1 Jul 2020"

STT: dict[Kind, Rate] = {
    Kind.DELIVERY: Rate(pct("0.1"), pct("0.1"), "Finance Act 2004, STT on delivery (buy and sell)", date(2013, 6, 1)),
    Kind.INTRADAY: Rate(Fraction(0), pct("0.025"), "Finance Act 2004, STT on intraday (sell)", date(2013, 6, 1)),
    Kind.FUTURES: Rate(Fraction(0), pct("0.05"), _STT_SOURCE, date(2026, 4, 1)),
    Kind.OPTIONS: Rate(Fraction(0), pct("0.15"), _STT_SOURCE, date(2026, 4, 1)),  # on premium
}
EXCHANGE: dict[Kind, Rate] = {
    Kind.DELIVERY: Rate(pct("0.00297"), pct("0.00297"), _NSE_SOURCE, date(2024, 10, 1)),
    Kind.INTRADAY: Rate(pct("0.00297"), pct("0.00297"), _NSE_SOURCE, date(2024, 10, 1)),
    Kind.FUTURES: Rate(pct("0.00173"), pct("0.00173"), _NSE_SOURCE, date(2024, 10, 1)),
    Kind.OPTIONS: Rate(pct("0.03503"), pct("0.03503"), _NSE_SOURCE, date(2024, 10, 1)),  # on premium
}
IPFT: dict[Kind, Rate] = {
    Kind.DELIVERY: Rate(pct("0.0001"), pct("0.0001"), _IPFT_SOURCE, date(2024, 10, 1)),
    Kind.INTRADAY: Rate(pct("0.0001"), pct("0.0001"), _IPFT_SOURCE, date(2024, 10, 1)),
    Kind.FUTURES: Rate(pct("0.0001"), pct("0.0001"), _IPFT_SOURCE, date(2024, 10, 1)),
    Kind.OPTIONS: Rate(pct("0.0005"), pct("0.0005"), _IPFT_SOURCE, date(2024, 10, 1)),  # on premium
}
SEBI_FEE = Rate(pct("0.0001"), pct("0.0001"), _SEBI_SOURCE, date(2020, 6, 1))  # ₹10 per crore, all kinds
STAMP: dict[Kind, Rate] = {
    Kind.DELIVERY: Rate(pct("0.015"), Fraction(0), _STAMP_SOURCE, date(2020, 7, 1)),
    Kind.INTRADAY: Rate(pct("0.003"), Fraction(0), _STAMP_SOURCE, date(2020, 7, 1)),
    Kind.FUTURES: Rate(pct("0.002"), Fraction(0), _STAMP_SOURCE, date(2020, 7, 1)),
    Kind.OPTIONS: Rate(pct("0.003"), Fraction(0), _STAMP_SOURCE, date(2020, 7, 1)),
}
GST = pct("18")  # on brokerage + exchange transaction charges (with IPFT) + SEBI fee; IGST Act 2017
RATES = {"STT": STT, "Exchange transaction charges": EXCHANGE, "IPFT": IPFT, "Stamp duty": STAMP}


def kind_of(instrument: Instrument | None) -> Kind | None:
    """Futures, options, or None for cash (split into intraday and delivery by :func:`estimate`)."""
    if instrument is None:
        return None
    if instrument.is_option:
        return Kind.OPTIONS
    if instrument.is_derivative:
        return Kind.FUTURES
    return None


@dataclass
class Charges:
    """The estimate for one instrument's day (paisa), and which kinds of trade it came from."""

    stt: Paisa = 0
    exchange: Paisa = 0
    ipft: Paisa = 0
    sebi: Paisa = 0
    stamp: Paisa = 0
    gst: Paisa = 0
    brokerage: Paisa = 0
    kinds: set[Kind] = field(default_factory=set)

    @property
    def total(self) -> Paisa:
        """Everything, brokerage included."""
        return self.stt + self.exchange + self.ipft + self.sebi + self.stamp + self.gst + self.brokerage

    def add(self, other: Charges) -> None:
        """Sum another instrument's estimate into this one (the day's totals)."""
        for name in ("stt", "exchange", "ipft", "sebi", "stamp", "gst", "brokerage"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.kinds |= other.kinds


def _legs(fills: list[Fill], kind: Kind | None) -> list[tuple[Kind, Fraction, Fraction]]:
    """(kind, buy value, sell value) parts of one instrument's fills; cash is split into intraday (the matched
    quantity at the average prices) and delivery (the rest)."""
    bought = sum(f.quantity for f in fills if f.side is Side.BUY)
    sold = sum(f.quantity for f in fills if f.side is Side.SELL)
    buy_value = Fraction(sum(f.quantity * f.price for f in fills if f.side is Side.BUY))
    sell_value = Fraction(sum(f.quantity * f.price for f in fills if f.side is Side.SELL))
    if kind is not None:
        return [(kind, buy_value, sell_value)]
    matched = min(bought, sold)
    avg_buy = buy_value / bought if bought else Fraction(0)
    avg_sell = sell_value / sold if sold else Fraction(0)
    legs = [(Kind.INTRADAY, matched * avg_buy, matched * avg_sell)] if matched else []
    if bought > matched or sold > matched:
        legs.append((Kind.DELIVERY, (bought - matched) * avg_buy, (sold - matched) * avg_sell))
    return legs


def estimate(fills: Iterable[Fill], instrument: Instrument | None, brokerage: Paisa = 0) -> Charges:
    """The statutory charges of one instrument's fills of a day (every fill must be of that instrument)."""
    fills = list(fills)
    out = Charges(brokerage=brokerage)
    if not fills:
        return out
    stt = exchange = ipft = sebi = stamp = Fraction(0)
    for kind, buy, sell in _legs(fills, kind_of(instrument)):
        out.kinds.add(kind)
        stt += buy * STT[kind].buy + sell * STT[kind].sell
        exchange += (buy + sell) * EXCHANGE[kind].buy
        ipft += (buy + sell) * IPFT[kind].buy
        sebi += (buy + sell) * SEBI_FEE.buy
        stamp += buy * STAMP[kind].buy
    out.stt, out.exchange, out.ipft = round_paisa(stt), round_paisa(exchange), round_paisa(ipft)
    out.sebi, out.stamp = round_paisa(sebi), round_paisa(stamp)
    out.gst = round_paisa((exchange + ipft + sebi + brokerage) * GST)
    return out


def sources() -> list[str]:
    """Every rate with its source and effective date, for the day report's footnote."""
    out = []
    for name, table in RATES.items():
        for kind, rate in table.items():
            out.append(f"{name}, {kind}: buy {float(rate.buy * 100):g} %, sell {float(rate.sell * 100):g} % — "
                       f"{rate.source} (from {rate.effective:%d %b %Y})")
    out.append(f"SEBI fee: {float(SEBI_FEE.buy * 100):g} % — {SEBI_FEE.source}")
    out.append(f"GST: {float(GST * 100):g} % on exchange charges, IPFT, SEBI fee and brokerage")
    return out
