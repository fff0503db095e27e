"""The feed gate on its own: clean pushes pass untouched, bad quotes are dropped one by one, figures are kept."""

from __future__ import annotations

from airalgo_desktop.api.events import Metrics
from airalgo_desktop.api.feed import FeedGate, quotes_are_clean

LTT = "2025-01-09T12:53:00Z"


def quote(ltp: object = 220_800, ltq: object = 5, ltt: object = LTT) -> dict:
    return {"ltp": ltp, "ltq": ltq, "ltt": ltt}


def test_a_clean_push_is_passed_on_as_it_is_and_counted() -> None:
    gate = FeedGate(Metrics())
    payload = {"22": quote(), "2885": quote(124_050)}
    assert gate.accept(payload, 5.0) is payload
    assert gate.metrics.ticks_total == 2 and gate.metrics.last_tick_at == 5.0
    assert gate.last_data == 5.0 and gate.ticks_since_join == 2


def test_bad_quotes_are_dropped_one_by_one() -> None:
    gate = FeedGate(Metrics())
    payload = {"22": quote(), "x": quote(), "2885": quote(-5), "3045": "junk", "35013": quote(ltq="9", ltt="soon")}
    assert gate.accept(payload, 1.0) == {"22": quote(), "35013": {"ltp": 220_800, "ltq": 9, "ltt": ""}}
    assert gate.metrics.dropped_quotes == 3


def test_nothing_usable_is_none() -> None:
    gate = FeedGate(Metrics())
    assert gate.accept({"22": quote(0)}, 1.0) is None
    assert gate.accept(["not", "an", "object"], 1.0) is None
    assert gate.metrics.malformed_frames == 1 and gate.metrics.ticks_total == 0 and gate.last_data is None


def test_the_rate_is_measured_over_a_second_and_a_join_restarts_the_grace_period() -> None:
    gate = FeedGate(Metrics())
    for i in range(10):
        gate.accept({"22": quote()}, i * 0.2)  # 5 ticks per second
    assert gate.metrics.ticks_per_s == 5.0
    gate.joined(9.0)
    assert gate.ticks_since_join == 0 and gate.last_data == 9.0


def test_clean_check_is_strict() -> None:
    assert quotes_are_clean({"22": quote()})
    assert not quotes_are_clean({"22": quote(ltp=1.5)})
    assert not quotes_are_clean({"22": quote(ltq=True)})
    assert not quotes_are_clean({"٣": quote()})
    assert not quotes_are_clean({"22": {"ltp": 5}})


# ------------------------------------------------------------------ issue 26 items 5 and 9: only wanted ticks
def test_quotes_for_tokens_nobody_wants_are_dropped_and_counted() -> None:
    from airalgo_desktop.api.subscriptions import SubscriptionSet

    subs = SubscriptionSet()
    subs.want(["22"])
    gate = FeedGate(Metrics(), subs.live)
    assert gate.accept({"22": quote(), "2885": quote(), "3045": quote()}, 1.0) == {"22": quote()}
    assert gate.metrics.unwanted_quotes == 2 and gate.metrics.ticks_total == 1 and gate.metrics.dropped_quotes == 0
    assert gate.accept({"2885": quote()}, 2.0) is None  # nothing wanted in it: no data for the stall watchdog either
    assert gate.metrics.unwanted_quotes == 3 and gate.last_data == 1.0
    bad = gate.accept({"x": quote(), "3045": "junk", "22": quote(0)}, 3.0)  # junk is junk, wanted or not
    assert bad is None and gate.metrics.dropped_quotes == 3 and gate.metrics.unwanted_quotes == 3
    subs.unwant(["22"])
    assert gate.accept({"22": quote()}, 4.0) is None  # after the last view let go, even before the server hears it
