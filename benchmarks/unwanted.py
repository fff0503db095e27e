"""``python -m benchmarks.unwanted [--tokens N] [--keep-all]``: resident memory while a feed streams quotes for
``N`` tokens nobody subscribed (issue 26 items 5 and 9), through the channel machine into the market store and the
bar builder — the desk's tick path, without a socket. Prints one JSON line.

``--keep-all`` lets the feed gate keep every token (the behaviour before the gate dropped unwanted ones), so both
figures come from the same harness; ``benchmarks.__main__`` prints them side by side."""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime

import orjson

from airalgo_desktop.api.events import Ticks
from airalgo_desktop.services.bars import BarBuilder
from airalgo_desktop.store.market import MarketStore

from .common import rss_mb, synthetic_tokens
from .ingest import joined_machine

LTT = "2025-01-09T09:53:00Z"
FEED_EPOCH = datetime(2025, 1, 9, 9, 53, 30, tzinfo=UTC).timestamp()  # the bar builder's clock: the feed's minute


def stream(tokens: int, *, keep_all: bool, per_frame: int = 1000, rounds: int = 2) -> dict[str, float]:
    """Stream ``rounds`` passes over ``tokens`` unwanted tokens (plus the 1,000 wanted ones) and measure."""
    wanted = synthetic_tokens(1000)
    machine = joined_machine(wanted)
    if keep_all:
        machine.feed.wanted = None
    store, builder = MarketStore(), BarBuilder(clock=lambda: FEED_EPOCH)
    rng = random.Random(5)
    start_mb = rss_mb()
    first = 10_000_000  # far from the synthetic tokens
    for _ in range(rounds):
        for base in range(0, tokens, per_frame):
            payload = {str(first + base + i): {"ltp": 100_000 + rng.randint(0, 500) * 5, "ltq": 1, "ltt": LTT}
                       for i in range(min(per_frame, tokens - base))}
            payload.update({t: {"ltp": 100_000, "ltq": 1, "ltt": LTT} for t in rng.sample(wanted, 50)})
            frame = orjson.dumps({"topic": "api:bench", "event": "ltp", "payload": payload, "ref": None}).decode()
            machine.receive(frame, 0.0)
            for event in machine.take_events():
                if type(event) is Ticks:
                    store.apply(event.quotes)
                    builder.on_ticks(event.quotes)
        builder.flush()
    return {"unwanted_tokens": tokens, "rss_start_mb": start_mb, "rss_end_mb": rss_mb(),
            "store_tokens": len(store.quotes), "bar_tokens": len(builder.tokens),
            "unwanted_quotes": machine.metrics.unwanted_quotes}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.unwanted")
    parser.add_argument("--tokens", type=int, default=400_000)
    parser.add_argument("--keep-all", action="store_true", help="keep every token (before the gate)")
    args = parser.parse_args()
    print(orjson.dumps(stream(args.tokens, keep_all=args.keep_all)).decode())


if __name__ == "__main__":
    main()
