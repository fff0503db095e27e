"""Implied-volatility throughput of ``domain.options.implied_vol`` (vectorised), in this process."""

from __future__ import annotations

import time

import numpy as np

from airalgo_desktop.domain.options import black76, implied_vol


def _legs(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """NSE-like legs: NIFTY forward, strikes ±15 %, 1-90 days, 8-40 % vol, calls and puts, priced on the 5-paisa
    grid (in paisa, as the chain solves them)."""
    rng = np.random.default_rng(seed)
    forward = np.full(n, 2_400_000.0)
    strikes = np.round(forward * np.exp(rng.uniform(-0.15, 0.15, n)) / 5000) * 5000
    years = rng.uniform(1, 90, n) / 365
    vols = rng.uniform(0.08, 0.40, n)
    calls = rng.random(n) < 0.5
    prices = np.maximum(5.0, np.round(black76(forward, strikes, years, vols, calls) / 5) * 5)
    return prices, forward, strikes, years, calls, vols


def _rate(size: int, seconds: float) -> float:
    prices, forward, strikes, years, calls, _ = _legs(size, 1)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        implied_vol(prices, forward, strikes, years, calls)
        done += size
    return done / (time.perf_counter() - start)


def iv_solves(quick: bool) -> dict:
    """Solves per second over a 10,000-leg batch and over one 164-leg chain, plus the round-trip error of exact
    (unrounded) prices."""
    seconds = 1.5 if quick else 5.0
    _prices, forward, strikes, years, calls, vols = _legs(10_000, 2)
    exact = black76(forward, strikes, years, vols, calls)
    ivs = implied_vol(exact, forward, strikes, years, calls)
    intrinsic = np.where(calls, np.maximum(forward - strikes, 0), np.maximum(strikes - forward, 0))
    ok = exact - intrinsic > 1.0  # a paisa of time value
    return {"batch": _rate(10_000, seconds), "batch_size": 10_000, "chain": _rate(164, seconds),
            "max_error": float(np.nanmax(np.abs(ivs[ok] - vols[ok])))}
