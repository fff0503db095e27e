"""Protective triggers on the tick path: what 500 armed triggers on 200 tokens cost the desk at 50,000 updates/s,
beyond the same desk with no armed trigger — the same pre-decoded pushes, the two desks interleaved second by
second (their order alternating), so both see the same machine load. ``python -m benchmarks.triggers``.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from airalgo_desktop.api.events import Ticks
from airalgo_desktop.desk import TradingDesk
from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.nsetime import format_ltt
from airalgo_desktop.domain.orders import Side
from airalgo_desktop.instruments import Catalog
from airalgo_desktop.services.triggers import Trigger
from airalgo_desktop.settings import MemoryStore, Prefs

from .common import cpu_seconds, market_second, median, synthetic_tokens

SESSION_OPEN = datetime(2025, 1, 9, 3, 45, tzinfo=UTC)  # 09:15 IST


def _desk(names: list[str], start: float) -> TradingDesk:
    master = Catalog([Instrument(t, f"SYN{t}", tick_size=5) for t in names])
    return TradingDesk(master, None, Prefs(MemoryStore()), clock=lambda: start)


def _arm(desk: TradingDesk, armed: list[str], count: int, prices: dict[str, int], rng: random.Random) -> None:
    """``count`` triggers over ``armed`` tokens: brackets, stops, targets and trailing stops ₹10–30 plus 1 % away
    (a live book: next to nothing fires in a minute of the ±5 paisa walk; trailing stops ratchet on new highs)."""
    book = desk.triggers.book
    for i in range(count):
        token = armed[i % len(armed)]
        ltp = prices[token]
        long = rng.random() < 0.5
        sign = 1 if long else -1
        away = ltp // 100 + rng.randrange(1000, 3000)
        stop, target = int(ltp - sign * away) // 5 * 5, int(ltp + sign * away) // 5 * 5
        kind = i % 5
        levels: dict[str, Any] = ({"stop": stop, "target": target} if kind < 2 else {"stop": stop} if kind == 2
                                  else {"target": target} if kind == 3 else {"trail": int(away) // 5 * 5})
        t = Trigger(token, Side.SELL if long else Side.BUY, 10, **levels)
        if "trail" in levels:
            t.ratchet(ltp, 5)
        book.add(t)


def triggers_cpu_pct(seconds: int, rate_hz: int = 50, tokens: int = 1000, armed_tokens: int = 200,
                     triggers: int = 500) -> dict[str, float]:
    """CPU % of one core: the desk with the triggers armed, the same desk without, the difference (the figure),
    and the trigger part's own ``on_event`` measured alone on the same pushes."""
    names = synthetic_tokens(tokens)
    rng = random.Random(28)
    prices = {t: 10_000 + rng.randrange(200_000) // 5 * 5 for t in names}
    start = SESSION_OPEN.timestamp()
    plain, guarded, alone = _desk(names, start), _desk(names, start), _desk(names, start)
    armed = names[:: tokens // armed_tokens][:armed_tokens]
    for desk in (guarded, alone):
        _arm(desk, armed, triggers, prices, random.Random(7))
    assert len(guarded.triggers.book.bands) == armed_tokens
    spent = {"plain": 0.0, "guarded": 0.0, "alone": 0.0}
    flush_every = max(1, rate_hz // 4)
    for second in range(seconds):
        pushes = [Ticks(q) for q in market_second(names, prices, rng, rate_hz,
                                                  format_ltt(SESSION_OPEN + timedelta(seconds=second)))]
        order = ("plain", "guarded") if second % 2 == 0 else ("guarded", "plain")
        for name in order:
            desk = plain if name == "plain" else guarded
            begin = cpu_seconds()
            for i, push in enumerate(pushes):
                desk.on_event(push)
                if i % flush_every == flush_every - 1:
                    desk.sample(start + second)
            spent[name] += cpu_seconds() - begin
        part = alone.triggers
        begin = cpu_seconds()
        for push in pushes:
            part.on_event(push)
        spent["alone"] += cpu_seconds() - begin
    out = {name: value / seconds * 100 for name, value in spent.items()}
    return {"triggers_cpu_pct_50k": out["guarded"] - out["plain"], "with_pct": out["guarded"],
            "without_pct": out["plain"], "part_alone_pct": out["alone"],
            "fired": sum(1 for t in guarded.triggers.triggers.values() if t.fired)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.triggers", description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs = [triggers_cpu_pct(args.seconds) for _ in range(args.rounds)]
    result = {key: median([r[key] for r in runs]) for key in runs[0]}
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
