"""The bar builder: scripted tick sequences against hand-computed bars (IST minutes, boundaries, late and
out-of-order ticks, re-sends, gaps), frames derived from one-minute bars, VWAP by hand, the memory bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from airalgo_desktop.domain.bars import Bars, Frame, day_number
from airalgo_desktop.domain.nsetime import IST, format_ltt
from airalgo_desktop.services.bars import BarBuilder

# 2025-01-09, a Thursday: 09:15 IST is 03:45 UTC
DAY0 = datetime(2025, 1, 9, 9, 15, tzinfo=IST)


def ltt(minute: int, second: int = 0) -> str:
    """The feed's UTC ``ltt`` of 09:15 IST + minute:second."""
    return format_ltt(DAY0 + timedelta(minutes=minute, seconds=second))


def tick(price: int, qty: int, at: str) -> dict:
    return {"ltp": price, "ltq": qty, "ltt": at}


class Clock:
    """A monotonic clock the test moves by hand (the feed clock's extrapolation)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def builder(**kwargs) -> tuple[BarBuilder, Clock]:
    mono = Clock()
    return BarBuilder(clock=lambda: DAY0.timestamp() + 86_400, monotonic=mono, **kwargs), mono


def hhmm(bars: Bars) -> list[str]:
    return [datetime.fromtimestamp(int(t), IST).strftime("%H:%M") for t in bars.time]


def test_minutes_are_ist_and_a_tick_on_the_boundary_opens_the_next_bar() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 10, ltt(0, 0)), "44": tick(50_00, 1, ltt(0, 0))})
    b.on_ticks({"22": tick(101_00, 5, ltt(0, 30))})
    b.on_ticks({"22": tick(99_00, 5, ltt(0, 59))})
    b.on_ticks({"22": tick(102_00, 7, ltt(1, 0))})  # exactly 09:16:00 → the 09:16 bar
    bars = b.bars("22")
    assert hhmm(bars) == ["09:15", "09:16"]
    assert bars.open.tolist() == [100_00, 102_00]
    assert bars.high.tolist() == [101_00, 102_00]
    assert bars.low.tolist() == [99_00, 102_00]
    assert bars.close.tolist() == [99_00, 102_00]
    assert bars.volume.tolist() == [20, 7]
    assert b.day == day_number(DAY0.timestamp())


def test_a_token_without_ticks_in_a_minute_has_a_gap_not_an_invented_bar() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 5)), "44": tick(50_00, 1, ltt(0, 5))})
    b.on_ticks({"22": tick(101_00, 1, ltt(1, 5))})  # 44 silent in 09:16
    b.on_ticks({"22": tick(102_00, 1, ltt(2, 5)), "44": tick(51_00, 1, ltt(2, 5))})
    assert hhmm(b.bars("22")) == ["09:15", "09:16", "09:17"]
    assert hhmm(b.bars("44")) == ["09:15", "09:17"]


def test_out_of_order_tick_in_an_open_minute_moves_high_low_volume_not_the_close() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.on_ticks({"22": tick(103_00, 1, ltt(0, 40))})
    b.flush()
    b.on_ticks({"22": tick(97_00, 2, ltt(0, 20))})  # arrives last, traded before the 103 tick
    b.on_ticks({"22": tick(99_00, 3, ltt(0, 5))})  # earlier than the open: it becomes the open
    bars = b.bars("22")
    assert (bars.open[0], bars.high[0], bars.low[0], bars.close[0], bars.volume[0]) == (99_00, 103_00, 97_00,
                                                                                       103_00, 7)


def test_same_second_ticks_close_at_the_later_arrival() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.on_ticks({"22": tick(101_00, 1, ltt(0, 10))})
    b.on_ticks({"22": tick(100_50, 1, ltt(0, 10))})
    bars = b.bars("22")
    assert (bars.open[0], bars.close[0], bars.volume[0]) == (100_00, 100_50, 3)


def test_late_tick_for_a_sealed_minute_is_dropped_and_counted() -> None:
    b, mono = builder(grace=3.0)
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.on_ticks({"22": tick(101_00, 1, ltt(1, 2))})  # feed clock 09:16:02: 09:15 still open (grace 3 s)
    b.flush()
    assert b.sealed_upto == 9 * 60 + 15
    b.on_ticks({"22": tick(90_00, 4, ltt(0, 50))})  # within grace: still counts for 09:15
    b.flush()
    assert b.bars("22").low[0] == 90_00
    mono.t += 2.0  # feed clock 09:16:04 → 09:15 sealed
    b.flush()
    sealed = b.take_sealed()
    assert [(s.minute, s.tokens, int(s.low[0])) for s in sealed] == [(555, ["22"], 90_00)]
    b.on_ticks({"22": tick(80_00, 9, ltt(0, 55))})
    bars = b.bars("22")
    assert b.late_dropped == 1
    assert bars.low.tolist() == [90_00, 101_00] and bars.volume.tolist() == [5, 1]


def test_a_resent_snapshot_is_not_counted_twice() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 10, ltt(0, 10))})
    b.flush()
    b.on_ticks({"22": tick(100_00, 10, ltt(0, 10))})  # the same quote again (re-subscribe)
    b.on_ticks({"22": tick(100_00, 10, ltt(0, 11))})  # a new trade at the same price
    assert b.bars("22").volume.tolist() == [20]
    assert b.repeats == 1
    b.on_ticks({"22": tick(101_00, 5, ltt(0, 12))})  # a trade and its re-send in the same flush
    b.on_ticks({"22": tick(101_00, 5, ltt(0, 12))})
    assert b.bars("22").volume.tolist() == [25] and b.repeats == 2


def test_junk_ltt_is_stamped_with_the_feed_clock_and_bad_prices_are_dropped() -> None:
    b, mono = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 50))})
    b.flush()
    mono.t += 15  # feed clock now 09:16:05
    b.on_ticks({"22": tick(101_00, 1, "not a time"), "44": tick(0, 1, ltt(0, 50))})
    bars = b.bars("22")
    assert hhmm(bars) == ["09:15", "09:16"] and bars.close[-1] == 101_00
    assert b.bad_dropped == 1 and not len(b.bars("44"))
    b.on_ticks({"44": tick(10**30, 1, ltt(1, 6)), "22": tick(102_00, 10**30, ltt(1, 7))})  # no int64 holds these
    bars = b.bars("22")
    assert b.bad_dropped == 2 and bars.close[-1] == 102_00 and bars.volume[-1] == 1


def test_next_day_seals_the_old_day_and_starts_afresh() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.on_ticks({"22": tick(105_00, 1, format_ltt(DAY0 + timedelta(days=1)))})
    b.flush()
    sealed = b.take_sealed()
    assert [s.day for s in sealed] == [day_number(DAY0.timestamp())]
    assert hhmm(b.bars("22")) == ["09:15"] and b.bars("22").close[0] == 105_00
    assert b.day == day_number(DAY0.timestamp()) + 1


def test_minutes_are_sealed_in_order_and_only_once() -> None:
    b, _mono = builder()
    for m in range(5):
        b.on_ticks({"22": tick(100_00 + m, 1, ltt(m, 1)), "44": tick(50_00, 1, ltt(m, 1))})
        b.flush()
    sealed = b.take_sealed()
    assert [s.minute - 555 for s in sealed] == [0, 1, 2]  # 09:18 waits for the grace (feed at 09:19:01)
    b.seal_all()
    assert [s.minute - 555 for s in b.take_sealed()] == [3, 4]
    assert sealed[2].tokens == ["22", "44"] and sealed[2].close.tolist() == [100_02, 50_00]


def scripted_day(b: BarBuilder, tokens: int = 3, minutes: int = 40, seed: int = 7) -> dict[str, list]:
    """Random ticks in random pushes; returns every tick applied per token for hand computation."""
    rng = np.random.default_rng(seed)
    seen: dict[str, list] = {}
    for m in range(minutes):
        for s in sorted(rng.choice(60, size=4, replace=False)):
            push = {}
            for t in range(tokens):
                if rng.random() < 0.7:
                    p, q = int(rng.integers(9_000, 11_000)), int(rng.integers(1, 50))
                    push[str(t)] = tick(p, q, ltt(m, int(s)))
                    seen.setdefault(str(t), []).append((m, p, q))
            b.on_ticks(push)
    return seen


def test_vwap_by_hand() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 10, ltt(0, 1))})
    b.on_ticks({"22": tick(110_00, 30, ltt(0, 2))})
    b.on_ticks({"22": tick(90_00, 60, ltt(1, 2))})
    vwap = b.bars("22").vwap
    assert vwap[0] == pytest.approx((100_00 * 10 + 110_00 * 30) / 40)  # 107.50
    assert vwap[1] == pytest.approx((100_00 * 10 + 110_00 * 30 + 90_00 * 60) / 100)  # 97.00


def test_vwap_restarts_each_day_and_is_nan_before_volume() -> None:
    t0 = int(DAY0.timestamp())
    bars = Bars(np.array([t0, t0 + 60, t0 + 86_400]), *(np.array([10, 10, 20]),) * 4,
                np.array([0, 5, 2]), np.array([0.0, 50.0, 40.0]))
    v = bars.vwap
    assert np.isnan(v[0]) and v[1] == 10 and v[2] == 20


@pytest.mark.parametrize("frame", [Frame.M3, Frame.M5, Frame.M15, Frame.M30, Frame.H1, Frame.DAY])
def test_higher_frames_are_the_aggregation_of_one_minute_bars(frame: Frame) -> None:
    b, _ = builder()
    seen = scripted_day(b, minutes=70)
    for token, ticks in seen.items():
        one = b.bars(token)
        big = b.bars(token, frame)
        # by hand from the raw ticks: bucket = minutes since 09:15 // frame
        width = frame.value if frame is not Frame.DAY else 10_000
        buckets: dict[int, list] = {}
        for m, p, q in ticks:
            buckets.setdefault(m // width, []).append((p, q))
        assert len(big) == len(buckets)
        for i, (key, group) in enumerate(sorted(buckets.items())):
            assert big.high[i] == max(p for p, _ in group) and big.low[i] == min(p for p, _ in group)
            assert big.volume[i] == sum(q for _, q in group)
            first = next(j for j in range(len(one)) if (one.time[j] - one.time[0]) // 60 + (
                int(one.time[0]) - int(DAY0.timestamp())) // 60 >= key * width)
            assert big.open[i] == one.open[first]
        assert big.close[-1] == one.close[-1] and big.volume.sum() == one.volume.sum()
        assert big.pv.sum() == pytest.approx(one.pv.sum())
        if frame is Frame.M5:
            assert hhmm(big)[:3] == ["09:15", "09:20", "09:25"]
        if frame is Frame.H1:
            assert hhmm(big) == ["09:15", "10:15"]
        assert np.allclose(big.vwap[-1], one.vwap[-1])


def test_every_ticking_token_gets_bars_and_capacity_grows() -> None:
    b, _ = builder(capacity=4)
    b.on_ticks({str(t): tick(100 + t, 1, ltt(0, 1)) for t in range(10)})
    b.on_ticks({str(t): tick(200 + t, 1, ltt(61, 1)) for t in range(10)})  # another hour block
    assert [b.bars(str(t)).close.tolist() for t in (0, 9)] == [[100, 200], [109, 209]]
    assert b.capacity >= 10


def test_memory_bound_for_1000_tokens_over_a_full_session() -> None:
    b, _ = builder()
    tokens = [str(10_000 + i) for i in range(1000)]
    for m in range(375):
        at = ltt(m, 30)
        b.on_ticks({t: tick(10_000 + m, 1, at) for t in tokens})
        b.flush()
        b.take_sealed()
    assert len(b.bars(tokens[-1])) == 375
    # 7 hour blocks (09:00…15:59) × 60 minutes × 1,024 slots × 34 bytes, plus per-token state: ≈ 14.6 MB
    assert b.nbytes <= 15_000_000
    assert sum(blk is not None for blk in b.blocks) == 7


def test_ticks_of_one_push_spanning_minutes_and_hours() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(44, 59)), "44": tick(50_00, 1, ltt(45, 0))})  # 09:59:59 and 10:00:00
    assert hhmm(b.bars("22")) == ["09:59"] and hhmm(b.bars("44")) == ["10:00"]


def test_frame_parse_and_labels() -> None:
    assert [f.label for f in Frame] == ["1m", "3m", "5m", "15m", "30m", "1h", "1D"]
    assert Frame.parse("15m") is Frame.M15 and Frame.parse("junk") is Frame.M1


def test_restore_seals_all_but_the_last_minute() -> None:
    b, _ = builder()
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 1))})
    b.on_ticks({"22": tick(101_00, 1, ltt(2, 1))})
    b.seal_all()  # as at shutdown: 09:15 and the running 09:17
    sealed = b.take_sealed()
    fresh, _ = builder()
    fresh.restore(sealed)
    assert fresh.bars("22").close.tolist() == [100_00, 101_00]
    fresh.on_ticks({"22": tick(1, 1, ltt(0, 30))})  # a tick for a restored (sealed) minute
    assert fresh.bars("22").close.tolist() == [100_00, 101_00] and fresh.late_dropped == 1
    # the last restored minute stays open: a tick in it after a quick restart extends the stored bar
    fresh.on_ticks({"22": tick(99_00, 2, ltt(2, 0))})
    bars = fresh.bars("22")
    assert (bars.open[-1], bars.low[-1], bars.close[-1], bars.volume[-1]) == (101_00, 99_00, 99_00, 3)
    fresh.on_ticks({"22": tick(98_00, 1, ltt(3, 30))})  # the next minute seals it (feed clock past grace)
    fresh.flush()
    assert [s.minute - 555 for s in fresh.take_sealed()] == [2]


def test_feed_clock_starts_at_wall_clock() -> None:
    b = BarBuilder(clock=lambda: 123.0)
    assert b.feed_now() == 123.0
    assert datetime.fromtimestamp(0, UTC).year == 1970
