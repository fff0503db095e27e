"""Option chains and option positions, Qt-free: which contracts an underlying has, the chain of one expiry around
the at-the-money strike with IV and greeks from the latest prices, and greeks and payoffs of open positions.

:class:`OptionCatalog` indexes a master once (underlying → expiry → strikes → call/put contracts, the future of each
expiry, the underlying's price row). :class:`ChainState` is one open chain: it picks the forward (the same-expiry
future, else put-call parity at the ATM pair), the ATM strike, the ±N strikes shown, and tells its owner which
tokens it needs streamed (``on_tokens``), so the desk's reference-counted subscriptions release strikes that leave
the window and everything when the chain closes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from ..domain.instruments import Instrument, Master
from ..domain.money import Paisa
from ..domain.options import (
    DEFAULT_RATE,
    ForwardQuote,
    PayoffLeg,
    atm_strike,
    choose_forward,
    days_to_expiry,
    greeks,
    implied_vol,
    underlying_tokens,
    years_to_expiry,
)
from ..services.positions import PositionBook
from ..store.market import MarketStore

MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 5, 25, 10
_PREFERRED = ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")


@dataclass(slots=True)
class ExpirySeries:
    """The contracts of one underlying and expiry."""

    expiry: date
    calls: dict[Paisa, Instrument] = field(default_factory=dict)
    puts: dict[Paisa, Instrument] = field(default_factory=dict)
    future: Instrument | None = None

    @property
    def strikes(self) -> list[Paisa]:
        """Every strike with a call or a put, ascending."""
        return sorted(self.calls.keys() | self.puts.keys())


class OptionCatalog:
    """Option and future contracts of a master, by underlying and expiry.

    An underlying's contracts become objects only when it is first asked about: a 250,000-row imported master
    (a columnar ``instruments.Catalog``) is grouped by its columns in one numpy pass, and a chain of NIFTY builds
    NIFTY's few thousand rows, not the whole master.
    """

    def __init__(self, master: Master | Iterable[Instrument]) -> None:
        self._master = master
        self._series: dict[str, dict[date, ExpirySeries]] = {}
        self._futures: dict[str, dict[date, Instrument]] = {}
        self._pending: dict[str, Callable[[], list[Instrument]]] = {}  # underlying → its F&O rows, made on demand
        self._by_token: dict[str, Instrument] | None = None
        columns = getattr(master, "columns", None) if hasattr(master, "row") else None
        if columns is not None:
            spots = self._group_columns(master, columns)
        else:
            rows = list(master)
            self._by_token = {inst.token: inst for inst in rows}
            groups: dict[str, list[Instrument]] = {}
            for inst in rows:
                if inst.expiry is not None and inst.name and inst.instrument_type in ("FUT", "CE", "PE"):
                    groups.setdefault(inst.name, []).append(inst)
            self._option_names = {n for n, g in groups.items() if any(i.instrument_type != "FUT" for i in g)}
            self._pending = {name: (lambda g=group: g) for name, group in groups.items()}
            spots = rows
        self.spot_tokens = underlying_tokens(spots)

    def _group_columns(self, master: Any, a: dict[str, np.ndarray]) -> list[Instrument]:
        from ..instruments.catalog import CE, EQ, FUT, PE

        kind, under = a["kind"], a["under"]
        fno = np.flatnonzero((kind == FUT) | (kind == CE) | (kind == PE))
        order = fno[np.argsort(under[fno], kind="stable")]
        ids, starts = np.unique(under[order], return_index=True)
        self._option_names = set()
        for n, _uid in enumerate(ids):
            rows = order[starts[n]: starts[n + 1] if n + 1 < len(starts) else len(order)]
            name = master.underlying(int(rows[0]))
            if ((kind[rows] == CE) | (kind[rows] == PE)).any():
                self._option_names.add(name)
            self._pending[name] = lambda rows=rows: [master.row(int(i)) for i in rows]
        # price rows: cash (and index rows where the master has them), a few thousand at most
        return [master.row(int(i)) for i in np.flatnonzero(kind == EQ)]

    def _load(self, name: str) -> None:
        make = self._pending.pop(name, None)
        if make is None:
            return
        by_expiry = self._series.setdefault(name, {})
        futures = self._futures.setdefault(name, {})
        for inst in make():
            if inst.expiry is None:
                continue
            if inst.instrument_type == "FUT":
                futures[inst.expiry] = inst
            elif inst.instrument_type in ("CE", "PE"):
                series = by_expiry.setdefault(inst.expiry, ExpirySeries(inst.expiry))
                (series.calls if inst.instrument_type == "CE" else series.puts)[inst.strike] = inst
        for expiry, series in by_expiry.items():
            series.future = futures.get(expiry)

    def get(self, token: str) -> Instrument | None:
        """The contract (or price row) with ``token``."""
        if self._by_token is not None:
            return self._by_token.get(token)
        return self._master.get(token)  # type: ignore[union-attr]

    def underlyings(self) -> list[str]:
        """Names with options: the big indices first, then alphabetical."""
        names = sorted(self._option_names)
        return [n for n in _PREFERRED if n in self._option_names] + [n for n in names if n not in _PREFERRED]

    def expiries(self, name: str, today: date | None = None) -> list[date]:
        """Option expiries of ``name`` not before ``today``, nearest first."""
        self._load(name)
        return sorted(e for e in self._series.get(name, {}) if today is None or e >= today)

    def series(self, name: str, expiry: date) -> ExpirySeries | None:
        """The contracts of one expiry."""
        self._load(name)
        return self._series.get(name, {}).get(expiry)

    def futures(self, name: str) -> dict[date, Instrument]:
        """Futures of ``name`` by expiry."""
        self._load(name)
        return self._futures.get(name, {})

    def underlying_of(self, token: str) -> str | None:
        """The underlying a watchlist row belongs to (a stock, an index, or any of its contracts), if it has
        options."""
        inst = self.get(token)
        if inst is None:
            return None
        if inst.expiry is not None and inst.name in self._option_names:
            return inst.name
        for name, spot in self.spot_tokens.items():
            if spot == token and name in self._option_names:
                return name
        return None

    def forward(self, name: str, expiry: date, store: MarketStore, now: datetime,
                rate: float = DEFAULT_RATE, strikes: Iterable[Paisa] | None = None) -> ForwardQuote | None:
        """The forward for one expiry from the latest prices: same-expiry future, else parity at the strike
        nearest the spot, else (positions whose chain is not streamed) the nearest future's or the spot's price.

        ``strikes``: the strikes whose prices are live (a chain's window). A strike that left the window keeps its
        last price in the store, which goes stale: parity there would pin the forward where it was."""
        series = self.series(name, expiry)
        spot_token = self.spot_tokens.get(name)
        spot = store.ltp(spot_token) if spot_token else None
        future = store.ltp(series.future.token) if series and series.future else None
        pairs = []
        if series is not None and future is None:
            for k in (series.strikes if strikes is None else strikes):
                c, p = series.calls.get(k), series.puts.get(k)
                pairs.append((k, store.ltp(c.token) if c else None, store.ltp(p.token) if p else None))
        quote = choose_forward(future, pairs, spot, years_to_expiry(expiry, now), rate)
        if quote is not None:
            return quote
        others = sorted(self.futures(name).items(), key=lambda kv: abs((kv[0] - expiry).days))
        for _expiry, fut in others:
            price = store.ltp(fut.token)
            if price:
                return ForwardQuote(price, "future")
        return ForwardQuote(spot, "spot") if spot else None


@dataclass(slots=True)
class LegQuote:
    """One option of a chain row as shown: price, change, IV and greeks (None → "—")."""

    token: str
    ltp: Paisa | None = None
    change: Paisa | None = None
    iv: float | None = None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None  # rupees per calendar day, per unit
    vega: float | None = None  # rupees per vol point, per unit
    itm: bool = False


@dataclass(slots=True)
class ChainRow:
    """One strike: call on the left, put on the right."""

    strike: Paisa
    call: LegQuote | None
    put: LegQuote | None
    atm: bool = False


@dataclass(slots=True)
class ChainView:
    """What a chain shows after :meth:`ChainState.compute`."""

    underlying: str
    expiry: date
    days: int
    spot: Paisa | None
    forward: ForwardQuote | None
    atm: Paisa | None
    rows: list[ChainRow]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class ChainState:
    """One open option chain (an underlying, an expiry, ±``width`` strikes around ATM)."""

    def __init__(self, catalog: OptionCatalog, store: MarketStore, underlying: str, expiry: date | None = None, *,
                 width: int = DEFAULT_WIDTH, today: date | None = None, rate: float = DEFAULT_RATE,
                 on_tokens: Callable[[tuple[str, ...]], None] | None = None) -> None:
        self.catalog = catalog
        self.store = store
        self.rate = rate
        self.on_tokens = on_tokens
        self.underlying = underlying
        self.today = today
        expiries = catalog.expiries(underlying, today)
        if not expiries:
            raise ValueError(f"{underlying} has no listed options")
        self.expiry = expiry if expiry in expiries else expiries[0]
        self.width = max(MIN_WIDTH, min(MAX_WIDTH, width))
        self.atm: Paisa | None = None
        self._tokens: tuple[str, ...] = ()
        self._last_iv: dict[str, float] = {}  # warm start for the next solve
        self.view: ChainView | None = None
        self._recentre(self._guess_atm())

    # ------------------------------------------------------------------ choices
    def expiries(self) -> list[date]:
        """The underlying's expiries (nearest first)."""
        return self.catalog.expiries(self.underlying, self.today)

    def set_underlying(self, name: str) -> None:
        """Switch underlying (its nearest expiry)."""
        self.underlying = name
        self.expiry = self.catalog.expiries(name, self.today)[0]
        self.atm = None
        self._recentre(self._guess_atm())

    def set_expiry(self, expiry: date) -> None:
        """Switch expiry (same underlying)."""
        self.expiry = expiry
        self._recentre(self._guess_atm())

    def set_width(self, width: int) -> None:
        """Show ±``width`` strikes (clamped to 5–25)."""
        self.width = max(MIN_WIDTH, min(MAX_WIDTH, width))
        self._recentre(self.atm or self._guess_atm())

    # ------------------------------------------------------------------ window and subscriptions
    @property
    def series(self) -> ExpirySeries:
        """The contracts of the chosen expiry."""
        series = self.catalog.series(self.underlying, self.expiry)
        assert series is not None
        return series

    def window(self) -> list[Paisa]:
        """The strikes shown: ±width around the current ATM."""
        strikes = self.series.strikes
        if not strikes:
            return []
        centre = strikes.index(self.atm) if self.atm in strikes else len(strikes) // 2
        return strikes[max(0, centre - self.width): centre + self.width + 1]

    @property
    def tokens(self) -> tuple[str, ...]:
        """What this chain needs streamed: underlying, same-expiry future and the legs in the window."""
        return self._tokens

    def _guess_atm(self) -> Paisa | None:
        strikes = self.series.strikes
        spot_token = self.catalog.spot_tokens.get(self.underlying)
        series = self.series
        price = (self.store.ltp(series.future.token) if series.future else None) \
            or (self.store.ltp(spot_token) if spot_token else None)
        if price is None:
            inst = series.future or (self.catalog.get(spot_token) if spot_token else None)
            price = inst.prev_close if inst is not None and inst.prev_close else None
        return atm_strike(strikes, price) if price else (strikes[len(strikes) // 2] if strikes else None)

    def _recentre(self, atm: Paisa | None) -> None:
        self.atm = atm
        series = self.series
        tokens: list[str] = []
        spot_token = self.catalog.spot_tokens.get(self.underlying)
        if spot_token:
            tokens.append(spot_token)
        if series.future is not None:
            tokens.append(series.future.token)
        for k in self.window():
            for leg in (series.calls.get(k), series.puts.get(k)):
                if leg is not None:
                    tokens.append(leg.token)
        new = tuple(tokens)
        if new != self._tokens:
            self._tokens = new
            if self.on_tokens is not None:
                self.on_tokens(new)

    def close(self) -> None:
        """The chain is gone: it wants nothing streamed."""
        self._tokens = ()
        if self.on_tokens is not None:
            self.on_tokens(())

    # ------------------------------------------------------------------ compute
    def compute(self, now: datetime) -> ChainView:
        """Prices, IV and greeks of the window; recentres (and re-subscribes) when ATM moved."""
        series = self.series
        t = years_to_expiry(self.expiry, now)
        forward = self.catalog.forward(self.underlying, self.expiry, self.store, now, self.rate, self.window())
        if forward is not None:
            atm = atm_strike(series.strikes, forward.price)
            if atm != self.atm:
                self._recentre(atm)
        strikes = self.window()
        legs: list[tuple[int, str, Instrument]] = []
        rows: list[ChainRow] = []
        for n, k in enumerate(strikes):
            call, put = series.calls.get(k), series.puts.get(k)
            rows.append(ChainRow(k, LegQuote(call.token) if call else None, LegQuote(put.token) if put else None,
                                 atm=k == self.atm))
            if call:
                legs.append((n, "CE", call))
            if put:
                legs.append((n, "PE", put))
        priced: list[tuple[LegQuote, Instrument]] = []
        for n, kind, inst in legs:
            quote = rows[n].call if kind == "CE" else rows[n].put
            assert quote is not None
            ltp = self.store.ltp(inst.token)
            quote.ltp = ltp
            if ltp is not None and inst.prev_close:
                quote.change = ltp - inst.prev_close
            if forward is not None:
                quote.itm = (inst.strike < forward.price) if kind == "CE" else (inst.strike > forward.price)
            if ltp is not None and forward is not None:
                priced.append((quote, inst))
        if priced and forward is not None:
            prices = np.array([q.ltp for q, _ in priced], dtype=float)
            ks = np.array([i.strike for _, i in priced], dtype=float)
            calls = np.array([i.instrument_type == "CE" for _, i in priced])
            f = float(forward.price)
            guess = np.array([self._last_iv.get(q.token, np.nan) for q, _ in priced])
            ivs = implied_vol(prices, f, ks, t, calls, self.rate, guess=guess)
            self._last_iv = {q.token: float(v) for (q, _), v in zip(priced, ivs.tolist(), strict=True)}
            g = greeks(f / 100.0, ks / 100.0, t, ivs, calls, self.rate)  # greeks in rupees
            for n, (quote, _inst) in enumerate(priced):
                quote.iv = _finite(float(ivs[n]))
                if quote.iv is None:
                    continue
                quote.delta = _finite(float(g.delta[n]))
                quote.gamma = _finite(float(g.gamma[n]))
                quote.theta = _finite(float(g.theta[n]))
                quote.vega = _finite(float(g.vega[n]))
        spot_token = self.catalog.spot_tokens.get(self.underlying)
        today = now.date()
        self.view = ChainView(self.underlying, self.expiry, days_to_expiry(self.expiry, today),
                              self.store.ltp(spot_token) if spot_token else None, forward, self.atm, rows)
        return self.view


# ---------------------------------------------------------------------------------------------- positions
@dataclass(slots=True)
class LegGreeks:
    """Greeks of one open position (whole quantity, rupees): None when its IV cannot be had."""

    token: str
    underlying: str
    iv: float | None
    delta: float | None
    theta: float | None
    vega: float | None
    forward: Paisa | None = None  # the forward of this leg's own expiry the greeks were taken at


def position_greeks(book: PositionBook, catalog: OptionCatalog, store: MarketStore, now: datetime,
                    rate: float = DEFAULT_RATE, live: Collection[str] | None = None) -> dict[str, LegGreeks]:
    """Delta (in underlying units), theta (₹/day) and vega (₹/vol point) of every open F&O position, net quantity
    included. A future's delta is its quantity; cash rows are left out. ``live``: the tokens being streamed; a
    parity forward is taken only where both legs are live (others keep a last price that may be stale)."""
    out: dict[str, LegGreeks] = {}
    for token, pos in book.positions.items():
        inst = catalog.get(token)
        net = pos.net
        if inst is None or inst.expiry is None or not net:
            continue
        if inst.instrument_type == "FUT":
            out[token] = LegGreeks(token, inst.name, None, float(net), 0.0, 0.0)
            continue
        if inst.instrument_type not in ("CE", "PE"):
            continue
        strikes = live_strikes(catalog, inst.name, inst.expiry, live)
        fwd = catalog.forward(inst.name, inst.expiry, store, now, rate, strikes)
        ltp = store.ltp(token)
        t = years_to_expiry(inst.expiry, now)
        iv = None
        if fwd is not None and ltp is not None:
            iv = _finite(float(implied_vol(ltp, fwd.price, inst.strike, t, inst.instrument_type == "CE", rate)))
        if iv is None or fwd is None:
            out[token] = LegGreeks(token, inst.name, None, None, None, None, fwd.price if fwd else None)
            continue
        g = greeks(fwd.price / 100.0, inst.strike / 100.0, t, iv, inst.instrument_type == "CE", rate)
        out[token] = LegGreeks(token, inst.name, iv, float(g.delta) * net, float(g.theta) * net, float(g.vega) * net,
                               fwd.price)
    return out


def live_strikes(catalog: OptionCatalog, name: str, expiry: date, live: Collection[str] | None) -> list[Paisa] | None:
    """Strikes of one expiry whose call and put are both streamed (None: every strike counts)."""
    if live is None:
        return None
    series = catalog.series(name, expiry)
    if series is None:
        return []
    return [k for k in series.strikes
            if (c := series.calls.get(k)) is not None and (p := series.puts.get(k)) is not None
            and c.token in live and p.token in live]


def greek_totals(legs: Iterable[LegGreeks]) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Per underlying: (delta, theta, vega) summed; None when a leg's greeks are unknown (a partial sum would
    mislead)."""
    totals: dict[str, list[float | None]] = {}
    for leg in legs:
        acc = totals.setdefault(leg.underlying, [0.0, 0.0, 0.0])
        for i, value in enumerate((leg.delta, leg.theta, leg.vega)):
            current = acc[i]
            acc[i] = None if current is None or value is None else current + value
    return {name: (v[0], v[1], v[2]) for name, v in totals.items()}


def payoff_legs(book: PositionBook, catalog: OptionCatalog, store: MarketStore, underlying: str, now: datetime,
                rate: float = DEFAULT_RATE, live: Collection[str] | None = None) -> list[PayoffLeg]:
    """The option and future positions of one underlying as payoff legs: cash = sell − buy value, each leg with its
    LTP as mark, its own expiry's forward and (options) its IV there, so the P&L now is exactly what the positions
    tab shows for these rows, whatever the mix of expiries. Squared-off rows come as legs of quantity 0: their booked
    P&L is part of the positions' total too."""
    greeks_by_token = position_greeks(book, catalog, store, now, rate, live)
    legs: list[PayoffLeg] = []
    for token, pos in book.positions.items():
        inst = catalog.get(token)
        if inst is None or inst.name != underlying or inst.expiry is None:
            continue
        if inst.instrument_type not in ("CE", "PE", "FUT"):
            continue
        mark = store.ltp(token)
        leg_greeks = greeks_by_token.get(token)
        if inst.instrument_type == "FUT":
            forward = mark  # a future's price is its expiry's forward
        else:
            forward = leg_greeks.forward if leg_greeks else None
        legs.append(PayoffLeg(inst.instrument_type, pos.net, pos.sell_value - pos.buy_value, inst.strike,
                              inst.expiry, leg_greeks.iv if leg_greeks else None, forward, mark))
    return legs


def payoff_reference(legs: Iterable[PayoffLeg], catalog: OptionCatalog, store: MarketStore, underlying: str,
                     now: datetime, live: Collection[str] | None = None,
                     rate: float = DEFAULT_RATE) -> tuple[Paisa, ForwardQuote | None]:
    """The underlying level a payoff chart is drawn around — the forward of the book's nearest open expiry — and
    the quote it came from (None when no price is known: the strikes' mean stands in)."""
    open_legs = [leg for leg in legs if leg.quantity and leg.expiry is not None]
    forward = None
    if open_legs:
        nearest = min(leg.expiry for leg in open_legs if leg.expiry is not None)
        strikes = live_strikes(catalog, underlying, nearest, live)
        forward = catalog.forward(underlying, nearest, store, now, rate, strikes)
    if forward is not None:
        return forward.price, forward
    strikes_held = [leg.strike for leg in open_legs if leg.kind in ("CE", "PE")]
    return (sum(strikes_held) // len(strikes_held) if strikes_held else 0), None


def underlyings_held(book: PositionBook, catalog: OptionCatalog) -> list[str]:
    """Underlyings with an open option or future position."""
    names = {inst.name for t, p in book.positions.items()
             if p.net and (inst := catalog.get(t)) is not None and inst.expiry is not None}
    return sorted(names)
