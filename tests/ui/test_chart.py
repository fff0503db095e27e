"""The chart: axis labels a trader reads at every zoom, candles/frames/keys, follow vs. manual zoom, y fitted to the
visible bars, fills and open-order lines, the crosshair readout, chart windows; and the app keeping its bars and
Day P&L curve across a restart."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from airalgo_desktop.domain.bars import Bars, Frame
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.orders import OrderRecord
from airalgo_desktop.services.positions import Fill
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.ui.chart import ChartView, ChartWindow, order_lines, volume_top
from airalgo_desktop.ui.timeaxis import (
    BarTimeAxis,
    ClockAxis,
    RupeeAxis,
    VolumeAxis,
    bar_ticks,
    clock_ticks,
    compact_count,
)
from tests.ui.conftest import app_args, running_app, wait_until

READABLE = re.compile(r"^(\d\d:\d\d|\d\d [A-Z][a-z]{2})$")
MONDAY = int(datetime(2025, 1, 6, 9, 15, tzinfo=IST).timestamp())


def week_of_bars(days: int = 5, price: int = 100_000, seed: int = 1) -> Bars:
    """Five sessions of 375 one-minute bars (a random walk), nights and the weekend absent."""
    rng = np.random.default_rng(seed)
    times = np.concatenate([MONDAY + d * 86_400 + 60 * np.arange(375) for d in range(days)]).astype(np.int64)
    close = price + np.cumsum(rng.integers(-50, 51, len(times)))
    open_ = np.r_[price, close[:-1]]
    high = np.maximum(open_, close) + rng.integers(0, 30, len(times))
    low = np.minimum(open_, close) - rng.integers(0, 30, len(times))
    volume = rng.integers(1, 1000, len(times))
    return Bars(times, open_, high, low, close, volume, close * volume * 1.0)


class FakeSource:
    """A bar source with fixed bars per token."""

    def __init__(self, bars: dict[str, Bars]) -> None:
        self.data = bars
        self.version = 1

    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        return self.data.get(token, Bars.empty()).resample(frame)

    def previous_close(self, token: str) -> int | None:
        return 99_500 if token in self.data else None


# zooms from 30 seconds to a week, as spans of one-minute bars
ZOOMS_BARS = [0.5, 1, 3, 10, 30, 60, 120, 375, 750, 1875]


@pytest.mark.parametrize("span", ZOOMS_BARS)
@pytest.mark.parametrize("pixels", [300, 900, 1600])
def test_bar_axis_reads_only_hhmm_and_dates(span: float, pixels: int) -> None:
    times = week_of_bars().time
    for end in (len(times) - 1, len(times) // 2 + 0.3, 400.7):
        ticks = bar_ticks(times, end - span, end, pixels)
        assert ticks or int(end) < end - span, (span, end)  # a label whenever a bar is in view
        assert all(READABLE.match(label) for _, label in ticks), ticks
        indexes = [i for i, _ in ticks]
        assert indexes == sorted(set(indexes))


@pytest.mark.parametrize("seconds", [30, 120, 900, 3600, 6 * 3600, 86_400, 3 * 86_400, 7 * 86_400])
def test_clock_axis_reads_only_hhmm_and_dates(seconds: int) -> None:
    for pixels in (300, 1200):
        ticks = clock_ticks(MONDAY + 7, MONDAY + 7 + seconds, pixels)
        assert all(READABLE.match(label) for _, label in ticks), ticks
        if seconds >= 120:
            assert ticks


def test_rendered_axes_at_every_zoom(qtbot) -> None:
    """The real pyqtgraph axes of a chart, zoomed from 30 seconds to a week: their tick strings."""
    view = ChartView(FakeSource({"2885": week_of_bars()}), load_sample())
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    view.set_token("2885")
    axis: BarTimeAxis = view.volume_axis
    n = len(view.bars)
    for span in ZOOMS_BARS:
        view.price_plot.setXRange(n - 1 - span, n - 1, padding=0)
        lo, hi = view.price_plot.getViewBox().viewRange()[0]
        levels = axis.tickValues(lo, hi, axis.geometry().width() or 1000)
        values = levels[0][1]
        strings = axis.tickStrings(values, 1.0, 1.0)
        assert strings and all(READABLE.match(s) for s in strings), (span, strings)
    clock = ClockAxis()
    for seconds in (30, 600, 86_400, 7 * 86_400):
        values = clock.tickValues(MONDAY, MONDAY + seconds, 800)[0][1]
        assert all(READABLE.match(s) for s in clock.tickStrings(values, 1.0, 1.0))


def test_pnl_axis_says_rupees_not_fractions() -> None:
    axis = RupeeAxis("right", pnl=True)
    step, values = axis.tickValues(-12.0, 40.0, 200)[0]
    labels = axis.tickStrings(values, 1.0, step)
    assert step >= 1 and labels and all(re.match(r"^[-+]?₹[\d,]+$|^₹0$", s) for s in labels), labels
    small = axis.tickStrings([-0.5, 0.0, 0.5], 1.0, 0.5)
    assert small == ["-₹0.50", "₹0.00", "+₹0.50"]
    price = RupeeAxis("right")
    assert price.tickStrings([2450.5, 2451.0], 1.0, 0.5) == ["2,450.50", "2,451.00"]


def test_volume_axis_says_whole_round_quantities(qtbot) -> None:
    axis = VolumeAxis()
    for top, label in ((1.1, "1"), (7, "5"), (440, "200"), (1_500, "1K"), (27_500, "20K"), (3.5e6, "2M"),
                       (1_400_000, "1M")):
        values = axis.tickValues(0, top, 60)[0][1]
        assert axis.tickStrings(values, 1.0, 1.0) == ["0", label], top
    assert compact_count(12_500) == "12.5K"


def test_candles_frames_keys_follow_and_fit(qtbot) -> None:
    source = FakeSource({"2885": week_of_bars(), "22": week_of_bars(price=2_000_000, seed=2)})
    view = ChartView(source, load_sample())
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    view.set_token("2885")
    assert len(view.bars) == 1875 and view.following
    i0, i1 = view.visible_range()
    assert i1 == 1875 and 100 <= i1 - i0 <= 125  # the newest bars, with room on the right
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    visible = view.bars
    assert y0 <= visible.low[i0:i1].min() / 100 and y1 >= visible.high[i0:i1].max() / 100
    assert y1 - y0 < (visible.high.max() - visible.low.min()) / 100  # fitted to the visible part, not all
    # another instrument: range fitted to its own prices
    view.set_token("22")
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    assert y0 > 10_000 and y1 < 30_000
    # keys switch frames (1..7), L toggles the line
    qtbot.keyClick(view, Qt.Key.Key_3)
    assert view.frame is Frame.M5 and len(view.bars) == 5 * 75
    assert view.frame_buttons.checkedButton().text() == "5m"
    qtbot.keyClick(view, Qt.Key.Key_7)
    assert view.frame is Frame.DAY and len(view.bars) == 5
    qtbot.keyClick(view, Qt.Key.Key_L)
    assert view.line_mode and view.line.isVisible() and not view.candles.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert view.frame is Frame.M1
    # a manual zoom stops following; new bars do not move the view; Follow brings it back
    vb = view.price_plot.getViewBox()
    vb.scaleBy(x=0.5)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])
    assert not view.following and not view.follow_button.isChecked()
    before = vb.viewRange()[0]
    source.data["22"] = Bars.concat([source.data["22"], week_of_bars(1, seed=5)])  # later bars arrive
    source.version += 1
    view.redraw()
    assert vb.viewRange()[0] == before
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.following and view.visible_range()[1] == len(view.bars)


def test_fills_orders_and_crosshair_readout(qtbot) -> None:
    bars = week_of_bars()
    view = ChartView(FakeSource({"2885": bars}), load_sample())
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    view.set_token("2885")
    at = float(bars.time[1870] + 25)  # inside bar 1870
    view.set_fills([Fill("2885", Side.BUY, 5, 100_000, at), Fill("2885", Side.SELL, 5, 100_100, at + 60),
                    Fill("22", Side.BUY, 1, 1, at)])
    assert view.buys.data["x"].tolist() == [1870] and view.sells.data["x"].tolist() == [1871]
    assert view.buys.data["y"].tolist() == [1000.0]
    now = datetime.now(IST)
    limit = OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 50, price=99_000), "RELIANCE", now,
                        status=OrderStatus.PENDING)
    stop = OrderRecord("L2", OrderRequest("2885", Side.SELL, OrderKind.SLM, 10, trigger_price=98_000), "RELIANCE",
                       now, status=OrderStatus.PENDING)
    done = OrderRecord("L3", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=1), "RELIANCE", now,
                       status=OrderStatus.EXECUTED)
    view.set_orders([limit, stop, done])
    assert [(i.value(), i.label.format) for i in view._order_items] == [
        (990.0, "BUY 50 LIMIT ₹990.00"), (980.0, "SELL 10 SLM trigger ₹980.00")]
    assert [line.label for line in order_lines([limit], "22")] == []
    sl = OrderRecord("L6", OrderRequest("2885", Side.SELL, OrderKind.SL, 5, price=97_900, trigger_price=98_000),
                     "RELIANCE", now, status=OrderStatus.SENT)
    assert [(x.price, x.label) for x in order_lines([sl], "2885")] == [
        (98_000, "SELL 5 SL trigger ₹980.00"), (97_900, "SELL 5 SL limit ₹979.00")]
    # a resting order just under the candles in view is taken into the price range; a far one is not
    view.set_orders([])
    bottom = view.price_plot.getViewBox().viewRange()[1][0]  # bars alone
    i0, i1 = view.visible_range()
    near = int(bars.low[i0:i1].min()) - 300
    view.set_orders([OrderRecord("L4", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=near), "RELIANCE",
                                 now, status=OrderStatus.PENDING)])
    assert view.price_plot.getViewBox().viewRange()[1][0] < min(bottom, near / 100)
    view.set_orders([OrderRecord("L5", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=near // 2),
                                 "RELIANCE", now, status=OrderStatus.PENDING)])
    assert view.price_plot.getViewBox().viewRange()[1][0] == pytest.approx(bottom)
    view.set_orders([limit, stop, done])
    # the crosshair over a bar reads it out
    vb = view.price_plot.getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(1860, float(bars.close[1860]) / 100))
    view._mouse_moved(scene_pos)
    text = view.readout.text()
    assert "10 Jan" in text and "O 1," in text and "Vol (seen)" in text and "VWAP" in text
    assert "C <span style='color:" in text
    assert view.vline.isVisible() and view.vline.value() == 1860
    # previous close line: the instrument master's (as the instrument panel shows it) …
    assert view.prev_close.isVisible() and view.prev_close.value() == 1240.0
    # … and for an instrument the master has no close for, the last close the bar store kept
    view.source.data["777777"] = bars
    view.set_token("777777")
    assert view.prev_close.value() == 995.0 and "prev close ₹995.00" in view.prev_close.label.format


def test_a_gap_inside_a_session_is_marked_and_the_line_does_not_bridge_it(qtbot) -> None:
    week = week_of_bars(2)
    keep = np.r_[0:60, 100:750]  # Monday 10:15…10:54 missing (the app was closed), then Tuesday
    bars = Bars(*(getattr(week, name)[keep] for name in Bars.__slots__))
    view = ChartView(FakeSource({"2885": bars}), load_sample())
    qtbot.addWidget(view)
    view.set_token("2885")
    assert view.gaps == [60]  # the closed stretch; the night between the two sessions is not a gap
    assert view._gap_items[0].value() == 59.5 and view._gap_items[0].isVisible()
    view.set_line_mode(True)
    connect = view.line.opts["connect"]
    assert connect[59] == 0 and connect[58] == 1 and connect[60] == 1  # no invented segment across it
    view.set_frame(Frame.M15)  # 40 minutes is under 6 fifteen-minute bars: not marked in that frame
    assert view.gaps == [] and not any(item.isVisible() for item in view._gap_items)


def test_empty_chart_says_bars_are_coming_and_day_bars_read_as_dates(qtbot) -> None:
    view = ChartView(FakeSource({"2885": week_of_bars()}), load_sample())
    qtbot.addWidget(view)
    view.set_token("1333")  # no bars for it
    assert "No bars yet" in view.readout.text() and len(view.bars) == 0
    view.set_token("2885")
    view.set_frame(Frame.DAY)
    assert view.readout.text().startswith("<b>10 Jan 2025</b>")
    assert [label for _, label in view.axis.ticks_for(-0.5, 4.5, 800)] == ["06 Jan", "07 Jan", "08 Jan", "09 Jan",
                                                                         "10 Jan"]


def test_chart_windows_remember_their_frame(qtbot) -> None:
    prefs = Prefs(MemoryStore())
    source = FakeSource({"2885": week_of_bars(), "22": week_of_bars(seed=3)})
    first = ChartWindow("2885", load_sample(), source, prefs)
    qtbot.addWidget(first)
    first.view.set_frame(Frame.M15)
    second = ChartWindow("22", load_sample(), source, prefs)
    qtbot.addWidget(second)
    assert second.view.frame is Frame.M1 and first.view.frame is Frame.M15
    again = ChartWindow("2885", load_sample(), source, prefs)
    qtbot.addWidget(again)
    assert again.view.frame is Frame.M15 and "RELIANCE" in again.windowTitle()
    prefs.store.setValue("charts/frame/22", "1D")
    assert ChartWindow("22", load_sample(), source, prefs).view.frame is Frame.DAY
    prefs.store.setValue("charts/frame/22", "junk")
    assert ChartWindow("22", load_sample(), source, prefs).view.frame is Frame.M1


def test_restart_keeps_the_bars_and_the_day_pnl_curve(qtbot, qloop, paths) -> None:
    state: dict = {}

    async def first_run() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            desk = app.desk
            await wait_until(lambda: desk.client and desk.client.state.joined and desk.store.ltp("2885"))
            await wait_until(lambda: desk.pnl.bars.restored.is_set())
            app.presenter.focus("2885")
            desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
            await wait_until(lambda: desk.pnl.positions.fills)
            await wait_until(lambda: len(desk.pnl.bars.bars("2885")) >= 1)
            app.presenter.update_status()
            app.window.actions_["chart_window"].trigger()  # F7: the selected instrument in its own window
            (window,) = app.window.chart_windows
            assert window.view.token == app.window.instrument_panel.token
            app.window.watchlist.chartRequested.emit("2885")  # watchlist → Open chart window
            assert len(app.window.chart_windows) == 2 and app.window.chart_windows[1].view.token == "2885"
            # a chart window streams its instrument even if no watchlist has it, until it closes
            listed = set(app.window.watchlist.active_tokens())
            other = next(i.token for i in desk.master if i.token not in listed)
            app.commands.open_chart(other)
            assert other in desk.subscriptions.tokens
            app.window.chart_windows[2].close()
            assert len(app.window.chart_windows) == 2 and other not in desk.subscriptions.tokens
            app.window.chart_windows[1].view.set_frame(Frame.M5)
            # a resting limit order appears as a line on every chart of its instrument, and goes when it fills
            ltp = desk.store.ltp("2885")
            desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 7, price=ltp - 500, ltp=ltp))
            await wait_until(lambda: app.window.chart_windows[1].view._order_items)
            assert app.window.chart.view._order_items[0].label.format.startswith("BUY 7 LIMIT")
            app.sim.market.set_ltp("2885", ltp - 600)
            await wait_until(lambda: not app.window.chart_windows[1].view._order_items)
            assert len(app.window.chart_views()) == 3
            state["bars"] = desk.pnl.bars.bars("2885")

    async def second_run() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            desk = app.desk
            await wait_until(lambda: desk.pnl.bars.restored.is_set())
            await wait_until(lambda: desk.pnl.mtm.points)  # rebuilt from the journal's fill and the stored bars
            restored = desk.pnl.bars.bars("2885")
            before = state["bars"]
            assert restored.time[:len(before)].tolist() == before.time.tolist()
            assert restored.close[:len(before) - 1].tolist() == before.close[:-1].tolist()
            assert desk.pnl.positions.fills and desk.pnl.mtm.high is not None
            app.presenter.focus("2885")
            app.presenter.update_status()
            assert len(app.window.chart.view.bars) >= len(before)
            assert app.prefs.chart_frame("2885") == "5m"

    qloop.run_until_complete(first_run())
    qloop.run_until_complete(second_run())


class CopyingSource(FakeSource):
    """Fresh arrays on every call, as the bar book's are (so the chart cannot see a change by sharing memory)."""

    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        b = super().bars(token, frame)
        return Bars(*(a.copy() for a in (b.time, b.open, b.high, b.low, b.close, b.volume, b.pv)))


def test_a_live_bar_tick_repaints_its_column_and_looks_like_a_full_redraw(qtbot) -> None:
    """A tick on the live bar (the 4 Hz case) repaints only that bar's column of the canvas — candle, volume and
    VWAP — and what is on screen then is what a full redraw paints; a change to an earlier bar repaints the panes."""
    from PySide6.QtCore import QEvent, QObject, QPoint, QRect
    from PySide6.QtWidgets import QApplication

    source = CopyingSource({"2885": week_of_bars(1)})
    view = ChartView(source, load_sample())
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_token("2885")
    qtbot.wait(50)

    class Regions(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.rects: list[QRect] = []

        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.rects.append(event.region().boundingRect())
            return False

    regions = Regions()
    canvas = view.canvas.viewport()
    canvas.installEventFilter(regions)

    def screen() -> QImage:  # what was flushed to the screen (grab() would paint the canvas again)
        QApplication.processEvents()
        origin = canvas.mapTo(view.window(), QPoint(0, 0))
        return view.screen().grabWindow(view.window().winId()).toImage().copy(QRect(origin, canvas.size()))

    live = source.data["2885"]
    n = len(live)

    def tick(close: int, qty: int, bar: int = -1) -> tuple[QImage, QImage]:
        """One trade on ``bar``: (the screen before, the screen after)."""
        before = screen()
        live.close[bar] = close
        live.high[bar] = max(int(live.high[bar]), close)
        live.low[bar] = min(int(live.low[bar]), close)
        live.volume[bar] += qty
        live.pv[bar] += qty * close
        source.version += 1
        regions.rects.clear()
        view.redraw()
        return before, screen()

    def looks_like_a_full_redraw(ticked: QImage) -> None:
        view.redraw(force=True)  # everything painted again from scratch
        assert screen() == ticked

    tick(int(live.close[-1]), 1)  # a first tick after the chart opened (its layout settles)
    x_live = view.candles.mapToDevice(QPointF(n - 1, float(live.close[-1]) / 100)).x()
    low, high = int(live.low[-1]), int(live.high[-1])
    assert low < high
    # the live minute trades inside its own high-low (so inside the range in view), on a little volume …
    before, ticked = tick(low if int(live.close[-1]) != low else high, 3)
    assert regions.rects and max(r.width() for r in regions.rects) < 60  # the live column, not the panes
    assert all(r.left() - 10 <= x_live <= r.right() + 10 for r in regions.rects)
    assert ticked != before  # … and it did change on screen
    looks_like_a_full_redraw(ticked)
    # … then makes a new high for the minute, still inside the range in view: its wick grows, same column
    i0, i1 = view.visible_range()
    top = int(live.high[i0:i1].max())
    assert top > int(live.high[-1])
    before, ticked = tick(int(live.high[-1]) + (top - int(live.high[-1])) // 2, 2)
    assert regions.rects and max(r.width() for r in regions.rects) < 60 and ticked != before
    looks_like_a_full_redraw(ticked)
    # a late trade on the minute before (its bar changes too): both panes are painted again, not one column
    before, ticked = tick(int(live.low[-2]) + 5, 1, bar=-2)
    assert max(r.width() for r in regions.rects) > 400 and ticked != before
    looks_like_a_full_redraw(ticked)


@pytest.mark.parametrize("largest", [0, 1, 7, 95, 999, 1_000, 1_090, 12_345, 2_500_000])
def test_volume_pane_top_is_a_round_step_just_above_the_largest_bar(largest: int) -> None:
    top = volume_top(largest)
    assert top >= max(largest, 1) * 1.1  # the tallest bar never touches the top …
    assert top <= max(largest, 1) * 1.1 * 1.34  # … and still fills about three quarters of the pane
    mantissa = top / 10 ** np.floor(np.log10(top))
    assert round(mantissa, 6) in {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}
