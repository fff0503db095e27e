"""Bars: the builder alone at 50,000 updates/s over 1,000 tokens, and the start-up read of a full day."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from airalgo_desktop.domain.bars import SealedMinute, day_number
from airalgo_desktop.domain.nsetime import format_ltt
from airalgo_desktop.services.bars import BarBuilder
from airalgo_desktop.store.bars import BarStore

from .common import cpu_seconds, market_second, percentile, synthetic_tokens

SESSION_OPEN = datetime(2025, 1, 9, 3, 45, tzinfo=UTC)  # 09:15 IST


def bars_cpu_pct(seconds: int, rate_hz: int = 50, tokens: int = 1000) -> float:
    """CPU % of one core the bar builder costs per second of feed: ``rate_hz`` pushes a second of ``tokens`` quotes
    each (the simulator's whole-market pushes), flushed 4 times a second as the desk's timer does, sealed minutes
    taken. Feed time comes from ``ltt`` (one second per ``rate_hz`` pushes), so minutes open and seal as live; the
    pushes are decoded (orjson) outside the measured calls, as the channel would have done."""
    names = synthetic_tokens(tokens)
    rng = random.Random(16)
    builder = BarBuilder()
    prices = {t: 10_000 + rng.randrange(100_000) for t in names}
    spent = 0.0
    flush_every = max(1, rate_hz // 4)
    for second in range(seconds):
        pushes = market_second(names, prices, rng, rate_hz, format_ltt(SESSION_OPEN + timedelta(seconds=second)))
        start = cpu_seconds()
        for i, push in enumerate(pushes):
            builder.on_ticks(push)
            if i % flush_every == flush_every - 1:
                builder.flush()
                builder.take_sealed()
        spent += cpu_seconds() - start
    assert builder.ticks >= seconds * rate_hz * tokens * 0.99
    return spent / seconds * 100


def bars_restore_s(runs: int) -> float:
    """Start-up read of a full day (375 minutes × 1,000 tokens): open the store, read the day, rebuild the
    builder's arrays. Median of ``runs``; the app does this in a worker thread, off the window's critical path."""
    names = synthetic_tokens(1000)
    day = day_number(SESSION_OPEN.timestamp())
    rng = np.random.default_rng(16)
    times = []
    with tempfile.TemporaryDirectory(prefix="airalgo-bars-") as folder:
        store = BarStore.open(Path(folder))
        minutes = []
        for minute in range(555, 555 + 375):
            o = rng.integers(10_000, 1_000_000, 1000).astype(np.int32)
            minutes.append(SealedMinute(day, minute, names, o, o + 50, o - 50, o + 5,
                                        rng.integers(1, 5000, 1000), o * 100.0))
        store.save(minutes)
        store.close()
        for _ in range(runs):
            start = time.perf_counter()
            store = BarStore.open(Path(folder))
            builder = BarBuilder()
            builder.restore(store.load_day(day))
            times.append(time.perf_counter() - start)
            assert len(builder.bars(names[-1])) == 375
            store.close()
    return percentile(times, 50)
