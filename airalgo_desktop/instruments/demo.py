"""The demo F&O universe, generated for the day it is asked for, so nothing in it has expired.

What it holds (``demo_universe(today)``):

* the sample CSV's **cash rows with their real NSE tokens** (its 2025 derivative rows are dead and left out);
* index rows NIFTY 50 / NIFTY BANK / NIFTY FIN SERVICE / NIFTY MID SELECT with the numbers NSE's index feed uses
  (26000, 26009, 26037, 26074 — as Noren/Shoonya-style masters carry them), type ``INDEX``: underlyings, not
  tradable;
* **futures**: current, next and far month on the four indices and the stocks listed in :data:`STOCKS`;
* **options**: NIFTY weekly and monthly, BANKNIFTY and the stocks monthly, on each underlying's strike step around
  its reference price.

Exchange rules as of 2025-11, checked against the exchange circulars as reported by the press (configurable in
:class:`ExpiryRules` because they have changed twice in 2025):

* expiry day is **Tuesday** for every NSE equity derivative from 1 Sep 2025 (SEBI circular of 26 May 2025, NSE
  circular of 23 Jun 2025 moved NIFTY weekly/monthly, BANKNIFTY/FINNIFTY/MIDCPNIFTY monthly and stock futures from
  Thursday to Tuesday); monthly contracts expire on the **last Tuesday** of the month; a holiday moves the expiry to
  the previous trading day;
* **weekly options only on NIFTY**: SEBI allows one weekly benchmark per exchange since 20 Nov 2024; NSE's last
  BANKNIFTY weekly expired on 13 Nov 2024 (NSE circular of 10 Oct 2024). BANKNIFTY therefore has monthly expiries
  only; ``ExpiryRules(weekly=("NIFTY", "BANKNIFTY"))`` brings its weeklies back should the rule change;
* index lot sizes from the Jan 2026 contracts (NSE circular effective 28 Oct 2025, phased in after the
  30 Dec 2025 expiry): NIFTY 65, BANKNIFTY 30, FINNIFTY 60, MIDCPNIFTY 120. Stock lots are the sample CSV's.

Tokens are synthetic but **stable**: a contract's token is a hash of what it is (underlying, expiry, kind, strike),
so the same date gives the same tokens and a contract keeps its token from one day to the next (journals and
watchlists survive a restart). One exception: the near-month NIFTY future is token 35013, the API document's
example contract, so the document's examples keep working against the demo.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Paisa
from ..domain.nsetime import IST, now_ist, trading_day_on_or_before
from ..domain.options import DEFAULT_RATE, VolSurface, black76, years_to_expiry
from ..resources import resource_path
from .catalog import EQ, Catalog
from .formats import parse

DOC_NIFTY_FUTURE_TOKEN = "35013"
CARRY = DEFAULT_RATE - 0.012  # futures basis: the rate less an index dividend yield of about 1.2 %
_TOKEN_LOW, _TOKEN_SPAN = 100_000_000, 900_000_000  # 9-digit synthetic tokens: no clash with NSE's small numbers
_MONTH_CODE = "123456789OND"  # weekly tradingsymbols: NIFTY25D0924000CE (Kite/NSE style)


@dataclass(frozen=True, slots=True)
class ExpiryRules:
    """When contracts expire and how many of each are listed (NSE, as of late 2025)."""

    weekday: int = calendar.TUESDAY
    weekly: tuple[str, ...] = ("NIFTY",)
    weeklies: int = 4  # NSE lists the next four weekly NIFTY expiries besides the monthlies
    index_option_months: int = 3
    stock_option_months: int = 3
    future_months: int = 3
    holidays: frozenset[date] = field(default_factory=frozenset)

    def trading_day_on_or_before(self, day: date) -> date:
        """``day``, or the last weekday before it that is not a holiday."""
        return trading_day_on_or_before(day, self.holidays)

    def monthly_expiry(self, year: int, month: int) -> date:
        """The last expiry weekday of the month, moved before a holiday."""
        last = date(year, month, calendar.monthrange(year, month)[1])
        last -= timedelta(days=(last.weekday() - self.weekday) % 7)
        return self.trading_day_on_or_before(last)

    def monthlies(self, today: date, count: int) -> list[date]:
        """The next ``count`` monthly expiries on or after ``today``."""
        out: list[date] = []
        year, month = today.year, today.month
        while len(out) < count:
            expiry = self.monthly_expiry(year, month)
            if expiry >= today:
                out.append(expiry)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def weekly_expiries(self, today: date, count: int) -> list[date]:
        """The next ``count`` weekly expiries on or after ``today`` (each moved before a holiday)."""
        out: list[date] = []
        day = today + timedelta(days=(self.weekday - today.weekday()) % 7)
        while len(out) < count:
            expiry = self.trading_day_on_or_before(day)
            if expiry >= today:
                out.append(expiry)
            day += timedelta(days=7)
        return out

    def option_expiries(self, name: str, today: date, index: bool) -> list[date]:
        """Every listed option expiry of an underlying, nearest first."""
        months = self.index_option_months if index else self.stock_option_months
        dates = set(self.monthlies(today, months))
        if name in self.weekly:
            dates.update(self.weekly_expiries(today, self.weeklies))
        return sorted(dates)


@dataclass(frozen=True, slots=True)
class Underlying:
    """An F&O underlying of the demo: where its price comes from and how its contracts are cut."""

    name: str
    spot_token: str
    reference: Paisa  # the simulator's starting price
    lot_size: int
    strike_step: Paisa
    strikes_each_side: int
    atm_vol: float
    is_index: bool = False
    freeze_qty: int = 0


INDICES = (
    Underlying("NIFTY", "26000", 23_400_00, 65, 50_00, 20, 0.12, True, 1_800),
    Underlying("BANKNIFTY", "26009", 49_500_00, 30, 100_00, 20, 0.14, True, 900),
    Underlying("FINNIFTY", "26037", 23_000_00, 60, 50_00, 15, 0.13, True, 1_800),
    Underlying("MIDCPNIFTY", "26074", 12_100_00, 120, 25_00, 15, 0.16, True, 2_800),
)
INDEX_SYMBOLS = {"NIFTY": "NIFTY 50", "BANKNIFTY": "NIFTY BANK", "FINNIFTY": "NIFTY FIN SERVICE",
                 "MIDCPNIFTY": "NIFTY MID SELECT"}
OPTION_INDICES = ("NIFTY", "BANKNIFTY")
# Stocks with futures (and monthly options) in the demo; lots as the sample CSV gives them.
STOCKS = ("RELIANCE", "SBIN", "INFY", "TCS", "HDFCBANK", "ICICIBANK", "ITC", "LT", "AXISBANK", "TATAMOTORS",
          "TATASTEEL", "BHARTIARTL", "KOTAKBANK", "MARUTI", "ACC", "BAJFINANCE", "HINDALCO", "ONGC", "NTPC", "WIPRO")
STOCK_OPTIONS = ("RELIANCE", "SBIN", "INFY", "HDFCBANK", "ICICIBANK", "TCS")
_STOCK_LOTS = {"RELIANCE": 500, "SBIN": 750, "INFY": 400, "TCS": 175, "HDFCBANK": 550, "ICICIBANK": 700, "ITC": 1600,
               "LT": 150, "AXISBANK": 625, "TATAMOTORS": 550, "TATASTEEL": 5500, "BHARTIARTL": 475, "KOTAKBANK": 400,
               "MARUTI": 50, "ACC": 300, "BAJFINANCE": 125, "HINDALCO": 1400, "ONGC": 2250, "NTPC": 1500,
               "WIPRO": 3000}


def stock_strike_step(price: Paisa) -> Paisa:
    """Strike interval by price band, close to NSE's scheme for stock options (the exchange sets each stock's
    interval itself; these bands reproduce the common ones: ₹1,240 → ₹20, ₹760 → ₹10, ₹4,100 → ₹50)."""
    rupees = price / 100
    for limit, step in ((50, 1.0), (100, 2.5), (250, 5.0), (500, 5.0), (1000, 10.0), (2500, 20.0),
                        (5000, 50.0), (10000, 100.0), (20000, 250.0)):
        if rupees <= limit:
            return int(step * 100)
    return 500_00


def synthetic_token(key: str, taken: set[str]) -> str:
    """A 9-digit token from a hash of the contract's identity; linear probing past a (rare) collision."""
    value = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % _TOKEN_SPAN
    while True:
        token = str(_TOKEN_LOW + value)
        if token not in taken:
            taken.add(token)
            return token
        value = (value + 1) % _TOKEN_SPAN


def _strike_text(strike: Paisa) -> str:
    return str(strike // 100) if strike % 100 == 0 else f"{strike / 100:g}"


def option_symbol(name: str, expiry: date, strike: Paisa, kind: str, monthly: bool) -> str:
    """NSE/Kite trading symbol: ``NIFTY25DEC24000CE`` (monthly) or ``NIFTY25D0924000CE`` (weekly)."""
    yy = expiry.strftime("%y")
    if monthly:
        return f"{name}{yy}{expiry.strftime('%b').upper()}{_strike_text(strike)}{kind}"
    return f"{name}{yy}{_MONTH_CODE[expiry.month - 1]}{expiry.day:02d}{_strike_text(strike)}{kind}"


def future_symbol(name: str, expiry: date) -> str:
    """``NIFTY25DECFUT``."""
    return f"{name}{expiry.strftime('%y%b').upper()}FUT"


def _round_tick(value: float, tick: Paisa) -> Paisa:
    return max(tick, round(value / tick) * tick)


def atm_vol(name: str, spot_token: str) -> float:
    """The demo's ATM vol of an underlying: the index table's, else 22-28 % for a stock (fixed by its token)."""
    for u in INDICES:
        if u.name == name:
            return u.atm_vol
    return 0.22 + (int(spot_token) % 7) * 0.01 if spot_token.isdigit() else 0.25


def _underlyings(cash: dict[str, Instrument]) -> list[Underlying]:
    out = list(INDICES)
    for name in STOCKS:
        row = cash.get(name)
        if row is None or row.prev_close <= 0:
            continue
        step = stock_strike_step(row.prev_close)
        out.append(Underlying(name, row.token, row.prev_close, _STOCK_LOTS.get(name, 1), step, 10,
                              atm_vol(name, row.token)))
    return out


def demo_universe(today: date, rules: ExpiryRules | None = None) -> list[Instrument]:
    """Every instrument of the demo for ``today``: cash rows (real tokens), index rows, futures and options.

    Deterministic: the same ``today`` and rules give the same list, tokens and reference prices (built once per
    day and rules: the app, the simulator and the CLI in one process share it).
    """
    return list(_universe(today, rules or ExpiryRules()))


def sample_csv_path() -> Path:
    """The bundled sample master in the project's own CSV layout (NIFTY 50 stocks with their real NSE tokens, and
    2025 index and stock derivatives, long expired)."""
    return resource_path("instruments-sample.csv")


def sample_cash_rows() -> list[Instrument]:
    """The sample's cash rows, read by the one parser of the project's CSV (``formats.parse_generic``)."""
    path = sample_csv_path()
    builder, _ = parse(path, path.name, "generic")
    builder.keep_rows([i for i, kind in enumerate(builder.kind) if kind == EQ], "not a cash row")
    catalog = Catalog.from_arrays(builder.arrays())
    return [catalog[str(token)] for token in builder.token]  # in the file's order (the catalog ranks its rows)


def load_sample() -> InstrumentMaster:
    """The demo universe of the current IST day as a plain master (tests and tools; the app asks
    :func:`airalgo_desktop.instruments.bundled_universe` for a catalog)."""
    return InstrumentMaster(demo_universe(now_ist().date()))


@functools.lru_cache(maxsize=4)
def _universe(today: date, rules: ExpiryRules) -> tuple[Instrument, ...]:
    cash_rows = sample_cash_rows()
    cash = {i.symbol: i for i in cash_rows}
    out: list[Instrument] = list(cash_rows)
    taken = {i.token for i in cash_rows} | {u.spot_token for u in INDICES} | {DOC_NIFTY_FUTURE_TOKEN}
    for u in INDICES:
        out.append(Instrument(token=u.spot_token, symbol=INDEX_SYMBOLS[u.name], name=u.name, exchange="NSE",
                              segment="INDICES", instrument_type="INDEX", tick_size=5, lot_size=1,
                              prev_close=u.reference))
    # the reference moment for prices in the master: the open of ``today``
    moment = datetime.combine(today, time(9, 15), tzinfo=IST)
    for u in _underlyings(cash):
        months = rules.monthlies(today, rules.future_months)
        for n, expiry in enumerate(months):
            t = years_to_expiry(expiry, moment)
            if u.name == "NIFTY" and n == 0:
                token = DOC_NIFTY_FUTURE_TOKEN
            else:
                token = synthetic_token(f"{u.name}|{expiry.isoformat()}|FUT", taken)
            out.append(Instrument(
                token=token, symbol=future_symbol(u.name, expiry), name=u.name, exchange="NFO", segment="NFO-FUT",
                instrument_type="FUT", expiry=expiry, tick_size=5,
                lot_size=u.lot_size, prev_close=_round_tick(u.reference * math.exp(CARRY * t), 5),
                freeze_qty=u.freeze_qty,
            ))
        if u.is_index and u.name not in OPTION_INDICES:
            continue
        if not u.is_index and u.name not in STOCK_OPTIONS:
            continue
        out.extend(_options(u, today, moment, rules, taken))
    return tuple(out)


def _options(u: Underlying, today: date, moment: datetime, rules: ExpiryRules, taken: set[str]) -> Iterable[Instrument]:
    surface = VolSurface(u.atm_vol)
    monthly = set(rules.monthlies(today, max(rules.index_option_months, rules.stock_option_months)))
    atm = round(u.reference / u.strike_step) * u.strike_step
    strikes = [atm + i * u.strike_step for i in range(-u.strikes_each_side, u.strikes_each_side + 1)]
    strikes = [k for k in strikes if k > 0]
    segment = "NFO-OPT"
    for expiry in rules.option_expiries(u.name, today, u.is_index):
        t = years_to_expiry(expiry, moment)
        forward = u.reference * math.exp(CARRY * t)
        for strike in strikes:
            vol = surface.vol(forward, strike, t)
            for kind in ("CE", "PE"):
                premium = float(black76(forward, strike, t, vol, kind == "CE"))
                yield Instrument(
                    token=synthetic_token(f"{u.name}|{expiry.isoformat()}|{kind}|{strike}", taken),
                    symbol=option_symbol(u.name, expiry, strike, kind, expiry in monthly),
                    name=u.name, exchange="NFO", segment=segment, instrument_type=kind, expiry=expiry,
                    strike=strike, tick_size=5, lot_size=u.lot_size, prev_close=_round_tick(premium, 5),
                    freeze_qty=u.freeze_qty,
                )
