"""The desk's bar book: restart restores today's bars and earlier days, and the Day P&L curve is rebuilt from the
day's fills marked to each bar's close."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from airalgo_desktop.domain.bars import Bars, Frame
from airalgo_desktop.domain.nsetime import format_ltt
from airalgo_desktop.domain.orders import Side
from airalgo_desktop.services.barbook import BarBook, day_pnl_curve
from airalgo_desktop.services.mtm import MtmCurve
from airalgo_desktop.services.positions import Fill
from tests.services.test_bars import DAY0, hhmm, ltt, tick

T0 = int(DAY0.timestamp())


def book(folder: Path | None) -> BarBook:
    return BarBook(folder, clock=lambda: DAY0.timestamp() + 3600)


def settled(b: BarBook, *args: object) -> Bars:
    """The bars once the earlier days asked for have arrived from the reader thread."""
    b.bars(*args)  # type: ignore[arg-type]
    assert b.wait_history()
    return b.bars(*args)  # type: ignore[arg-type]


def test_restart_restores_today_and_shows_earlier_days_first(tmp_path: Path) -> None:
    yesterday = book(tmp_path)
    yesterday.restore()
    at = format_ltt(DAY0 - timedelta(days=1, minutes=-5))
    yesterday.on_ticks({"22": tick(90_00, 3, at)})
    yesterday.poll()
    yesterday.close()

    first = book(tmp_path)
    assert first.restore() == 0
    for m in range(5):
        first.on_ticks({"22": tick(100_00 + m, 1, ltt(m, 10))})
        first.poll()
    before = settled(first, "22")
    first.close()

    second = book(tmp_path)
    assert second.restore() == 5
    version = second.version
    assert hhmm(second.bars("22")) == hhmm(before)[1:]  # earlier days come from the reader thread, never waited for
    after = settled(second, "22")
    assert second.version != version  # …and move the version when they arrive: the chart redraws
    assert hhmm(after) == hhmm(before) == ["09:20", "09:15", "09:16", "09:17", "09:18", "09:19"]
    assert after.close.tolist() == before.close.tolist()
    second.previous_close("22")
    second.wait_history()
    assert second.previous_close("22") == 90_00
    assert len(settled(second, "22", Frame.DAY)) == 2
    second.maintain()  # yesterday compacted to a row per token: reads the same
    assert second.store.db.execute("SELECT COUNT(*) FROM days").fetchone()[0] == 1
    assert second.store.history("22", second.today).close.tolist() == [90_00]
    second.close()


def test_without_a_folder_bars_live_in_memory_from_the_start() -> None:
    b = book(None)
    assert b.restored.is_set() and b.restore() == 0
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.poll()
    assert b.bars("22").close.tolist() == [100_00] and b.previous_close("22") is None
    b.close()


def test_ticks_wait_for_the_restore(tmp_path: Path) -> None:
    b = book(tmp_path)
    b.on_ticks({"22": tick(100_00, 1, ltt(0, 10))})
    b.poll()
    assert not len(b.bars("22"))  # not restored yet: nothing applied, nothing shown
    b.restore()
    b.poll()
    assert b.bars("22").close.tolist() == [100_00]
    b.close()


def bars(closes: list[int]) -> Bars:
    n = len(closes)
    c = np.array(closes)
    return Bars(T0 + 60 * np.arange(n), c, c, c, c, np.ones(n, np.int64), c * 1.0)


def test_day_pnl_curve_marks_fills_to_each_bar_close() -> None:
    series = {"22": bars([101_00, 103_00, 99_00, 98_00])}
    fills = [Fill("22", Side.BUY, 10, 100_00, T0 + 30),  # in the 09:15 bar
             Fill("22", Side.SELL, 4, 104_00, T0 + 60 + 10)]  # in the 09:16 bar
    curve = day_pnl_curve(fills, series.__getitem__)
    # 09:15 close 101: +10 × 1 = ₹10 · 09:16: sold 4 at 104 (+16) and 6 open at 103 (+18) = ₹34
    # 09:17: 16 + 6 × (99 − 100) = ₹10 · 09:18: 16 − 12 = ₹4
    assert curve == [(T0 + 60, 10_00), (T0 + 120, 34_00), (T0 + 180, 10_00), (T0 + 240, 4_00)]
    mtm = MtmCurve()
    mtm.replace(curve)
    assert mtm.high.value == 34_00 and mtm.low.value == 4_00 and mtm.drawdown == 30_00


def test_day_pnl_before_any_fill_is_empty_and_unbarred_tokens_count_at_cost() -> None:
    assert day_pnl_curve([], lambda t: Bars.empty()) == []
    series = {"22": bars([101_00, 102_00]), "44": Bars.empty()}
    fills = [Fill("22", Side.BUY, 1, 100_00, T0), Fill("44", Side.BUY, 5, 10_00, T0 + 5)]
    assert day_pnl_curve(fills, series.__getitem__) == [(T0 + 60, 1_00), (T0 + 120, 2_00)]
