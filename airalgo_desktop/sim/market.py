"""Simulated market: a random walk per cash/index instrument on its tick grid, starting from the reference price;
futures and options are priced from their underlying's walk.

Derivatives whose underlying is in the master (an ``INDEX`` row named like the contract, or a cash row with the
contract's name as symbol) are not walked on their own: a future trades at ``spot·e^{carry·t}``, an option at the
Black-76 premium on that forward with the underlying's :class:`~airalgo_desktop.domain.options.VolSurface` (a smile
and a term structure), rounded to the 0.05 tick. So put-call parity holds to within ticks, and the IV a client
recovers from an LTP is the surface's vol (:meth:`Market.vol_of`). Options trade less often than cash (each leg with
``option_activity`` per step, at least every ``option_max_quiet`` seconds), as on the exchange most strikes do not
trade every quarter second.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from ..domain.clock import Clock, process_clock
from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Paisa, Rounding, round_to_tick
from ..domain.nsetime import format_ltt
from ..domain.options import DEFAULT_RATE, VolSurface, black76, underlying_tokens, years_to_expiry
from ..instruments.demo import CARRY, atm_vol

DEFAULT_PRICE: Paisa = 100_00
INDEX_STEP_VOLATILITY = 0.00006  # relative move per step of an index row (0.0004 for everything else)


@dataclass(frozen=True, slots=True)
class _Derived:
    """A future or option priced from its underlying's walk."""

    spot: str
    expiry: date
    kind: str  # FUT, CE, PE
    strike: Paisa
    surface: VolSurface


class Market:
    """Latest trade per token, moved by :meth:`step`.

    Each step, every *active* token trades with probability ``activity``; a token that has not traded for
    ``max_quiet`` seconds trades anyway, so with default settings every subscribed token ticks at least
    once a second. Moves are a few ticks, scaled to the price, with a gentle pull back to the reference
    price so a long demo session does not wander off to zero.
    """

    def __init__(
        self,
        master: InstrumentMaster,
        *,
        seed: int | None = None,
        activity: float = 0.6,
        volatility: float = 0.0004,
        max_quiet: float = 0.75,
        stamp: bool = False,
        option_activity: float = 0.08,
        option_max_quiet: float = 6.0,
        rate: float = DEFAULT_RATE,
        clock: Clock = process_clock,
    ) -> None:
        self.master = master
        self.clock = clock  # prices options and stamps trades: a test freezes it, so no price depends on today
        self.rng = random.Random(seed)
        self.activity = activity
        self.volatility = volatility
        self.max_quiet = max_quiet
        self.stamp = stamp  # benchmarks: each quote carries "ts", the wall-clock time it was made
        self._ltp: dict[str, Paisa] = {}
        self._ltq: dict[str, int] = {}
        self._ltt: dict[str, str] = {}
        self._last_trade: dict[str, float] = {}
        self._ref: dict[str, Paisa] = {}
        self._sigma_ticks: dict[str, float] = {}
        self.option_activity = option_activity
        self.option_max_quiet = option_max_quiet
        self.rate = rate
        self._derived: dict[str, _Derived] = {}
        spots = underlying_tokens(master)
        surfaces: dict[str, VolSurface] = {}
        for inst in master:
            spot = spots.get(inst.name)
            if inst.expiry is None or inst.instrument_type not in ("FUT", "CE", "PE") or spot is None:
                continue
            surface = surfaces.setdefault(inst.name, VolSurface(atm_vol(inst.name, spot)))
            self._derived[inst.token] = _Derived(spot, inst.expiry, inst.instrument_type, inst.strike, surface)
        opened = self.clock()
        now = format_ltt(opened)
        for inst in master:
            if inst.token not in self._derived:
                self._open(inst, now)
        derived_tokens = [inst.token for inst in master if inst.token in self._derived]
        for token in derived_tokens:
            self._open(master[token], now)
        for token, price in zip(derived_tokens, self._model_prices(derived_tokens, opened), strict=True):
            self._ltp[token] = price

    def _open(self, inst: Instrument, ltt: str) -> None:
        ref = inst.prev_close if inst.prev_close > 0 else DEFAULT_PRICE
        gap = self.rng.uniform(-0.01, 0.01)  # opening gap, so Change is not 0.00 for every row at start
        self._ref[inst.token] = ref
        self._ltp[inst.token] = max(inst.tick_size, round_to_tick(int(ref * (1 + gap)), inst.tick_size))
        self._ltq[inst.token] = inst.lot_size * self.rng.randint(1, 20)
        self._ltt[inst.token] = ltt
        self._last_trade[inst.token] = 0.0
        # an index moves like one (≈ 15 % a year shows as ₹1-2 a step on NIFTY), not like the lively demo stocks:
        # options are priced from it, and a walk many times their implied vol would make every stale LTP's IV jump
        volatility = INDEX_STEP_VOLATILITY if inst.instrument_type == "INDEX" else self.volatility
        self._sigma_ticks[inst.token] = max(1.0, ref * volatility / inst.tick_size)

    # ------------------------------------------------------------------ derivatives
    def forward(self, spot: str, expiry: date, moment: datetime) -> float:
        """The simulator's forward (paisa, unrounded) of an underlying for one expiry."""
        return self._ltp[spot] * math.exp(CARRY * years_to_expiry(expiry, moment))

    def underlying_ltp(self, token: str) -> Paisa | None:
        """Current price of a derivative's underlying (None when it is not priced from one)."""
        d = self._derived.get(token)
        return self._ltp.get(d.spot) if d is not None else None

    def vol_of(self, token: str, moment: datetime | None = None) -> float | None:
        """The volatility the simulator prices an option with now (None for anything else)."""
        d = self._derived.get(token)
        if d is None or d.kind == "FUT":
            return None
        moment = moment or self.clock()
        t = years_to_expiry(d.expiry, moment)
        return d.surface.vol(self.forward(d.spot, d.expiry, moment), d.strike, t)

    def _model_prices(self, tokens: list[str], moment: datetime) -> list[Paisa]:
        """Model prices of derived tokens, on each one's tick grid (options in one vectorised Black-76 call)."""
        out: list[Paisa] = [0] * len(tokens)
        years: dict[date, float] = {}
        opt_at: list[int] = []
        fwd: list[float] = []
        strikes: list[float] = []
        ts: list[float] = []
        calls: list[bool] = []
        vols: list[float] = []
        for n, token in enumerate(tokens):
            d = self._derived[token]
            t = years.get(d.expiry)
            if t is None:
                t = years[d.expiry] = years_to_expiry(d.expiry, moment)
            f = self._ltp[d.spot] * math.exp(CARRY * t)
            if d.kind == "FUT":
                tick = self.master[token].tick_size
                out[n] = max(tick, round_to_tick(round(f), tick))
                continue
            opt_at.append(n)
            fwd.append(f)
            strikes.append(float(d.strike))
            ts.append(t)
            calls.append(d.kind == "CE")
            vols.append(d.surface.vol(f, d.strike, t))
        if opt_at:
            premia = black76(np.array(fwd), np.array(strikes), np.array(ts), np.array(vols), np.array(calls),
                             self.rate)
            for n, premium in zip(opt_at, premia.tolist(), strict=True):
                tick = self.master[tokens[n]].tick_size
                out[n] = max(tick, round(premium / tick) * tick)
        return out

    def ltp(self, token: str) -> Paisa | None:
        """Current last traded price, or None for an unknown token."""
        return self._ltp.get(token)

    def set_ltp(self, token: str, price: Paisa) -> None:
        """Force a price (tests drive limit and stop-loss orders with it)."""
        inst = self.master.get(token)
        if inst is None:
            raise KeyError(token)
        self._ltp[token] = round_to_tick(price, inst.tick_size)

    def quote(self, token: str) -> dict[str, object] | None:
        """The ``ltp`` push entry for one token: ``{"ltp": int, "ltq": int, "ltt": str}``."""
        if token not in self._ltp:
            return None
        return {"ltp": self._ltp[token], "ltq": self._ltq[token], "ltt": self._ltt[token]}

    def snapshot(self, tokens: Iterable[str]) -> dict[str, dict[str, object]]:
        """Current quote of each known token (what a fresh subscriber is sent at once)."""
        return {t: q for t in tokens if (q := self.quote(t)) is not None}

    def step(self, active: Iterable[str], now: float, *, force_all: bool = False) -> dict[str, dict[str, object]]:
        """Advance the active tokens one interval; return the quotes of those that traded.

        Underlyings of active derivatives walk too (unreported unless subscribed), so an option's price moves with
        its index even when nobody watches the index.
        """
        rng = self.rng
        moment = self.clock()
        ltt = format_ltt(moment)
        stamp = time.time() if self.stamp else None
        changed: dict[str, dict[str, object]] = {}
        activity = self.activity
        quiet_before = now - self.max_quiet
        master = self.master
        derived = self._derived
        active = active if isinstance(active, set | frozenset) else set(active)
        traded_derived: list[str] = []
        hidden_spots: set[str] = set()
        if derived:
            opt_quiet_before = now - self.option_max_quiet
            opt_activity = self.option_activity
            for token in active:
                d = derived.get(token)
                if d is None:
                    continue
                if d.spot not in active:
                    hidden_spots.add(d.spot)
                last = self._last_trade[token]
                if d.kind == "FUT":
                    trades = force_all or rng.random() < activity or last <= quiet_before
                else:
                    trades = force_all or rng.random() < opt_activity or last <= opt_quiet_before
                if trades:
                    traded_derived.append(token)
        walk = active if not hidden_spots else active | hidden_spots
        for token in walk:
            if token in derived:
                continue
            last = self._last_trade.get(token)
            if last is None:
                continue
            if not (force_all or rng.random() < activity or last <= quiet_before):
                continue
            inst = master.get(token)
            if inst is None:
                continue
            tick = inst.tick_size
            price = self._ltp[token]
            ref = self._ref[token]
            sigma = self._sigma_ticks[token]
            pull = (ref - price) / ref * 20.0  # mean reversion, in ticks
            move = round(rng.gauss(pull, sigma))
            price = max(tick, price + move * tick)
            self._ltp[token] = price
            if token in hidden_spots and token not in active:
                continue
            qty = inst.lot_size * (1 + int(rng.expovariate(0.3)))
            self._ltq[token] = qty
            self._ltt[token] = ltt
            self._last_trade[token] = now
            quote: dict[str, object] = {"ltp": price, "ltq": qty, "ltt": ltt}
            if stamp is not None:
                quote["ts"] = stamp
            changed[token] = quote
        if traded_derived:
            prices = self._model_prices(traded_derived, moment)
            for token, price in zip(traded_derived, prices, strict=True):
                qty = master[token].lot_size * (1 + int(rng.expovariate(0.5)))
                self._ltp[token] = price
                self._ltq[token] = qty
                self._ltt[token] = ltt
                self._last_trade[token] = now
                quote = {"ltp": price, "ltq": qty, "ltt": ltt}
                if stamp is not None:
                    quote["ts"] = stamp
                changed[token] = quote
        return changed


def limit_crossed(side_buy: bool, limit: Paisa, ltp: Paisa) -> bool:
    """Whether a resting limit order trades at ``ltp`` (buy at or below, sell at or above)."""
    return ltp <= limit if side_buy else ltp >= limit


def trigger_hit(side_buy: bool, trigger: Paisa, ltp: Paisa) -> bool:
    """Whether a stop order's trigger fires (buy stop at or above, sell stop at or below)."""
    return ltp >= trigger if side_buy else ltp <= trigger


__all__ = ["Market", "Rounding", "limit_crossed", "trigger_hit"]
