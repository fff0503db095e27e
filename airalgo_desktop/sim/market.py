"""Simulated market: a random walk per instrument on its tick grid, starting from the CSV reference price."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Paisa, Rounding, round_to_tick
from ..domain.nsetime import format_ltt

DEFAULT_PRICE: Paisa = 100_00


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
    ) -> None:
        self.master = master
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
        now = format_ltt(datetime.now(UTC))
        for inst in master:
            self._open(inst, now)

    def _open(self, inst: Instrument, ltt: str) -> None:
        ref = inst.prev_close if inst.prev_close > 0 else DEFAULT_PRICE
        gap = self.rng.uniform(-0.01, 0.01)  # opening gap, so Change is not 0.00 for every row at start
        self._ref[inst.token] = ref
        self._ltp[inst.token] = max(inst.tick_size, round_to_tick(int(ref * (1 + gap)), inst.tick_size))
        self._ltq[inst.token] = inst.lot_size * self.rng.randint(1, 20)
        self._ltt[inst.token] = ltt
        self._last_trade[inst.token] = 0.0
        self._sigma_ticks[inst.token] = max(1.0, ref * self.volatility / inst.tick_size)

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
        """Advance the active tokens one interval; return the quotes of those that traded."""
        rng = self.rng
        ltt = format_ltt(datetime.now(UTC))
        stamp = time.time() if self.stamp else None
        changed: dict[str, dict[str, object]] = {}
        activity = self.activity
        quiet_before = now - self.max_quiet
        master = self.master
        for token in active:
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
            qty = inst.lot_size * (1 + int(rng.expovariate(0.3)))
            self._ltq[token] = qty
            self._ltt[token] = ltt
            self._last_trade[token] = now
            quote: dict[str, object] = {"ltp": price, "ltq": qty, "ltt": ltt}
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
