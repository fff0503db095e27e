"""Charts a trader reads: candles (or a close line) in 1/3/5/15/30/60-minute and daily frames, a volume pane, VWAP
and previous-close lines, a crosshair with an O/H/L/C/V readout, executions as ▲/▼ at their bar and open orders as
labelled horizontal lines; below the docked chart, the Day P&L curve with its max/min/drawdown.

Ideas from vnpy's ``vnpy/chart`` (read, not copied): the x axis is the *bar index*, so sessions sit side by side with
no overnight or closed-app gaps and the axis maps indexes back to times (:mod:`.timeaxis`); the candle item paints
only the bars in view; price and volume plots share the x axis; the cursor reads out the bar under the mouse.

A :class:`ChartView` is built from pieces, each in its own module: the bar feed (:mod:`.chart_feed`), the toolbar
(:mod:`.chart_toolbar`), the canvas, marker layer and crosshair (:mod:`.chart_layers`) and the graphics items
(:mod:`.chart_items`).

Cost: nothing here runs per tick. :meth:`ChartView.redraw` runs on the app's 4 Hz status timer, asks the bar source
for the token's bars only when the source's version moved, and re-sets data only when the token's bars changed;
painting covers the visible bars (``chart_cpu_pct_5k`` in benchmarks).

Mouse wheel zooms and dragging pans the time axis; either stops the view following new bars until *Follow* (or F)
is pressed. The price axis always fits the bars in view (on every instrument and frame change, and while panning).
Keys while the chart has focus: 1–7 pick the frame (1m 3m 5m 15m 30m 1h 1D), L toggles candles/line, F follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from ..desk.notices import BarsRestored, OrderChanged, PositionsChanged
from ..domain.bars import Frame
from ..domain.instruments import Master
from ..domain.money import format_rupees
from ..domain.nsetime import IST
from ..services.mtm import MtmCurve
from ..services.positions import Fill
from ..settings import Prefs
from . import theme
from .chart_feed import BarFeed, BarSource
from .chart_items import paint_plots, volume_top
from .chart_layers import ChartCanvas, Crosshair, MarkerLayer, OrderLine, order_lines
from .chart_toolbar import ChartToolbar
from .chart_triggers import attach_trigger_lines
from .labels import label
from .listening import listen
from .pieces import alias
from .timeaxis import ClockAxis, RupeeAxis
from .widgets import add_close_keys, fit_into_screen

if TYPE_CHECKING:
    from ..desk import TradingDesk

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
DEFAULT_SPAN = 120  # bars in view when following
CANVAS_MIN = 150  # the price and volume plots' least height
CANVAS_MIN_YIELDING = 70  # a few price lines: while a banner needs the room (ChartPanel.yield_height)

__all__ = ["CANVAS_MIN", "CANVAS_MIN_YIELDING", "BarSource", "ChartPanel", "ChartView", "ChartWindow", "OrderLine",
           "order_lines", "volume_top"]


class ChartView(QWidget):
    """One instrument's bar chart, built from its pieces: the toolbar (title, frames, line mode, follow), the
    crosshair's readout, the canvas (price and volume panes) with the marker layer on it, and the bar feed. The view
    keeps what ties them together: which bars are in view (following the newest, or where the trader panned)."""

    frameChanged = Signal(object)  # Frame

    def __init__(self, source: BarSource, master: Master, parent: QWidget | None = None,
                 frame: Frame = Frame.M1) -> None:
        super().__init__(parent)
        self.feed = BarFeed(source, master, frame)
        self.following = True
        self.span = DEFAULT_SPAN
        self._build()

    # the pieces' parts under the names the chart's callers and tests use
    source = alias("feed", "source")
    master = alias("feed", "master")
    token = alias("feed", "token")
    frame = alias("feed", "frame")
    bars = alias("feed", "bars")
    vwap_values = alias("feed", "vwap_values")
    title = alias("toolbar", "title")
    frame_buttons = alias("toolbar", "frame_buttons")
    line_button = alias("toolbar", "line_button")
    follow_button = alias("toolbar", "follow_button")
    axis = alias("canvas", "axis")
    volume_axis = alias("canvas", "volume_axis")
    price_plot = alias("canvas", "price_plot")
    volume_plot = alias("canvas", "volume_plot")
    candles = alias("canvas", "candles")
    line = alias("canvas", "line")
    prev_close = alias("canvas", "prev_close")
    line_mode = alias("canvas", "line_mode")
    gaps = alias("canvas", "gaps")
    _gap_items = alias("canvas", "gap_items")
    buys = alias("markers", "buys")
    sells = alias("markers", "sells")
    _order_items = alias("markers", "order_items")
    readout = alias("crosshair", "readout")
    vline = alias("crosshair", "vline")
    _mouse_moved = alias("crosshair", "moved")

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        self.toolbar = ChartToolbar(self.frame, self)
        self.toolbar.framePicked.connect(self.set_frame)
        self.toolbar.lineToggled.connect(self.set_line_mode)
        self.toolbar.followClicked.connect(self.follow)
        self.canvas = ChartCanvas(self)
        self.canvas.setMinimumHeight(CANVAS_MIN)
        self.markers = MarkerLayer(self.canvas.price_plot)
        self.crosshair = Crosshair(self.feed, self.canvas, self)
        vb = self.price_plot.getViewBox()
        vb.sigRangeChangedManually.connect(self._manual_range)
        vb.sigXRangeChanged.connect(lambda *_a: self._fit_y())
        self.canvas.scene().sigMouseMoved.connect(self.crosshair.moved)
        theme.follow(self, self.crosshair.refresh)  # the readout's close in the new theme's up/down colour

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.readout)
        layout.addWidget(self.canvas, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The volume pane keeps about a fifth of the height, whatever the chart's size."""
        super().resizeEvent(event)
        self.volume_plot.setMaximumHeight(max(36, int(self.canvas.height() * 0.2)))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1–7 pick the frame, L toggles the line, F follows (keys the plot leaves unhandled arrive here)."""
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
        elif Qt.Key.Key_1 <= key <= Qt.Key.Key_7:
            self.set_frame(list(Frame)[key - Qt.Key.Key_1])
        elif key == Qt.Key.Key_L:
            self.line_button.toggle()
        elif key == Qt.Key.Key_F:
            self.follow()
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------------ commands
    def set_token(self, token: str | None) -> None:
        """Show another instrument: follow again and fit the price range to its bars."""
        if token == self.token:
            return
        self.feed.token = token
        self.following, self.span = True, DEFAULT_SPAN
        self.follow_button.setChecked(True)
        self.crosshair.cursor = None
        inst = self.master.get(token) if token else None
        self.title.setText(f"<b>{label(inst)}</b>" if inst else ("Chart" if not token else f"<b>{token}</b>"))
        self.canvas.setAccessibleName(f"Price chart of {label(inst) if inst else token}" if token else "Price chart")
        self.redraw(force=True)
        if (lines := getattr(self, "trigger_lines", None)) is not None:
            lines.draw()

    def set_frame(self, frame: Frame) -> None:
        """Change the timeframe (buttons, keys 1–7)."""
        self.toolbar.check_frame(frame)
        if frame is self.frame:
            return
        self.feed.frame = frame
        self.following, self.span = True, DEFAULT_SPAN
        self.follow_button.setChecked(True)
        self.frameChanged.emit(frame)
        self.redraw(force=True)

    def set_line_mode(self, on: bool) -> None:
        """A close line instead of candles."""
        if self.line_button.isChecked() != on:
            self.line_button.setChecked(on)
        self.canvas.set_line_mode(on, self.bars)

    def follow(self) -> None:
        """Keep the newest bar in view again, at the current zoom."""
        lo, hi = self.price_plot.getViewBox().viewRange()[0]
        if not self.following:
            self.span = int(min(max(hi - lo, 10), 5000))
        self.following = True
        self.follow_button.setChecked(True)
        self._place_x()

    def listen_to(self, desk: TradingDesk) -> None:
        """Show the desk's open orders and fills, and redraw when today's bars are restored — from now until this
        view is destroyed (it registers its own handlers; nobody loops over the charts)."""
        orders, fills = desk.ledger.records, desk.pnl.positions.fills
        listen(self, desk, {OrderChanged: lambda _n: self.set_orders(orders.values()),
                            PositionsChanged: lambda _n: self.set_fills(fills),
                            BarsRestored: lambda _n: self.redraw(force=True)})
        self.set_orders(orders.values())
        self.set_fills(fills)
        self.trigger_lines = attach_trigger_lines(self, desk, desk.triggers)  # stops/targets, dragged to move

    def set_fills(self, fills: Sequence[Fill]) -> None:
        """Executions (all instruments; this chart marks its own)."""
        self.markers.fills = list(fills)
        self._draw_fills()

    def set_orders(self, records: Iterable[Any]) -> None:
        """Open orders (all instruments): this chart draws lines for its own."""
        if self.markers.set_orders(order_lines(records, self.token)):
            self._fit_y()

    # ------------------------------------------------------------------ drawing
    def redraw(self, force: bool = False) -> None:
        """Refresh from the bar source (a timer calls this); a no-op when nothing changed."""
        change = self.feed.pull(force)
        if change is None:
            return
        self.canvas.show_bars(self.bars, self.vwap_values, self.frame, live_only=change == "live")
        self.canvas.show_prev_close(self.feed.previous_close())
        self._draw_fills()
        if self.following:
            self._place_x()
        else:
            self._fit_y()
        self.crosshair.refresh()

    def _place_x(self) -> None:
        """Following: the newest ``span`` bars in view (see :meth:`ChartCanvas.place_x`), y fitted to them."""
        self.canvas.place_x(len(self.bars), self.span)
        self._fit_y()

    def visible_range(self) -> tuple[int, int]:
        """Indexes of the bars in view (end exclusive)."""
        return self.canvas.visible_range(len(self.bars))

    def _fit_y(self) -> None:
        """Price pane to the bars in view, the open-order lines and the previous close near them; volume pane to
        the largest volume in view (:meth:`ChartCanvas.fit_y`)."""
        levels = [line.price for line in self.markers.orders]
        if self.canvas.prev is not None:
            levels.append(self.canvas.prev)
        self.canvas.fit_y(self.bars, self.vwap_values, levels)

    def _manual_range(self, *_args: object) -> None:
        if self.canvas.fitting:
            return
        self.following = False
        self.follow_button.setChecked(False)

    def _draw_fills(self) -> None:
        self.markers.draw_fills(self.token, self.bars.time, self.frame)


class ChartPanel(QWidget):
    """The docked chart: the watchlist's selected instrument, above the day's P&L curve."""

    def __init__(self, master: Master, source: BarSource, mtm: MtmCurve, parent: QWidget | None = None,
                 prefs: Prefs | None = None) -> None:
        super().__init__(parent)
        self.master, self.source, self.mtm = master, source, mtm
        self.prefs = prefs
        frame = Frame.parse(prefs.chart_frame("main")) if prefs is not None else Frame.M1
        self.view = ChartView(source, master, self, frame)
        self.view.frameChanged.connect(self._remember_frame)
        self._mtm_drawn: tuple = ()
        self.mtm_plot = pg.PlotWidget(axisItems={"bottom": ClockAxis(), "right": RupeeAxis("right", pnl=True)})
        self.mtm_plot.setObjectName("mtm_chart")
        self.mtm_plot.setMenuEnabled(False)
        self.mtm_plot.hideAxis("left")
        self.mtm_plot.showAxis("right")
        self.mtm_plot.hideButtons()
        self.mtm_plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.mtm_plot.getViewBox().setLimits(minXRange=120)
        self.mtm_plot.addLine(y=0, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine))
        self.mtm_curve = self.mtm_plot.plot(pen=pg.mkPen(theme.UP, width=2), antialias=True)
        self.mtm_plot.setMinimumHeight(60)
        paint_plots(self.mtm_plot, (self.mtm_plot.getPlotItem(),))
        theme.follow(self, self._restyle_mtm)
        self.mtm_plot.setAccessibleName("Day P&L chart")
        self.mtm_plot.setAccessibleDescription("The day's mark-to-market P&L over time; the line above it says the "
                                               "latest value, the high, the low and the largest drawdown.")
        self.mtm_label = QLabel("Day P&L: no fills yet", self)
        self.mtm_label.setObjectName("mtm_stats")
        # the summary grows with every fill ("… max drawdown ₹218.75 (09:56:12→09:56:41)"): it wraps inside the
        # chart's width instead of widening the window and squeezing the watchlist
        self.mtm_label.setWordWrap(True)
        self.mtm_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pnl = pnl = QWidget(self)
        pnl_layout = QVBoxLayout(pnl)
        pnl_layout.setContentsMargins(4, 0, 4, 0)
        pnl_layout.setSpacing(2)
        pnl_layout.addWidget(self.mtm_label)
        pnl_layout.addWidget(self.mtm_plot, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)  # the trader decides how much P&L to see
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(pnl)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    @property
    def token(self) -> str | None:
        """The charted instrument."""
        return self.view.token

    @property
    def buys(self) -> pg.ScatterPlotItem:
        """Buy markers (tests)."""
        return self.view.buys

    @property
    def sells(self) -> pg.ScatterPlotItem:
        """Sell markers (tests)."""
        return self.view.sells

    def _remember_frame(self, frame: Frame) -> None:
        if self.prefs is not None:
            self.prefs.set_chart_frame("main", frame.label)

    def yield_height(self, yielding: bool) -> None:
        """While ``yielding`` (a banner above the instrument panel) the chart may shrink to a few price lines, so the
        panel's details stay whole and the window still fits a 1280×800 screen; otherwise it keeps its usual least
        height and the order book dock gives way."""
        self.view.canvas.setMinimumHeight(CANVAS_MIN_YIELDING if yielding else CANVAS_MIN)
        # settle the new least height now, before the window lays out the banner: a stale (larger) one would make a
        # top-level window grow for a moment, and it never shrinks back by itself
        for layout in (self.view.layout(), self.pnl.layout(), self.layout()):
            layout.activate()
        self.splitter.updateGeometry()
        self.updateGeometry()

    def show_token(self, token: str | None) -> None:
        """Follow the selection."""
        self.view.set_token(token)

    def listen_to(self, desk: TradingDesk) -> None:
        """The chart follows the desk's orders, fills and restored bars; the P&L curve redraws with the bars."""
        self.view.listen_to(desk)
        listen(self, desk, {BarsRestored: lambda _n: self._redraw_mtm()})

    def set_fills(self, fills: Sequence[Fill]) -> None:
        """Executions to mark."""
        self.view.set_fills(fills)

    def set_orders(self, records: Iterable[Any]) -> None:
        """Open orders to draw."""
        self.view.set_orders(records)

    def redraw(self) -> None:
        """Timer-driven refresh of the chart and the P&L curve (each a no-op when unchanged)."""
        self.view.redraw()
        self._redraw_mtm()

    def _redraw_mtm(self) -> None:
        points = self.mtm.points
        state = (len(points), points[-1] if points else None)
        if state == self._mtm_drawn:
            return
        self._mtm_drawn = state
        # an empty P&L plot has nothing to say before the first fill: its pane shrinks to the one-line label
        self.mtm_plot.setVisible(bool(points))
        self.pnl.setMaximumHeight(QWIDGETSIZE_MAX if points else self.mtm_label.sizeHint().height() + 4)
        if not points:
            return
        xs = np.array([t for t, _ in points], np.float64)
        ys = np.array([v for _, v in points], np.float64) / 100
        self.mtm_curve.setData(xs, ys)
        last = points[-1][1]
        self.mtm_curve.setPen(pg.mkPen(theme.UP if last >= 0 else theme.DOWN, width=2))
        lo, hi = min(float(ys.min()), 0.0), max(float(ys.max()), 0.0)
        if hi - lo < 10:  # a P&L of a few rupees would otherwise zoom the axis to "0.2 0.4"
            mid = (hi + lo) / 2
            lo, hi = mid - 5, mid + 5
        self.mtm_plot.setYRange(lo, hi, padding=0.08)
        span = max(float(xs[-1] - xs[0]), 600.0)
        self.mtm_plot.setXRange(float(xs[-1]) - span, float(xs[-1]) + span * 0.03, padding=0)
        self.show_pnl()

    def _restyle_mtm(self) -> None:
        """A theme switch: the P&L curve in the new up/down colour."""
        self._mtm_drawn = ()
        self._redraw_mtm()

    def show_pnl(self) -> None:
        """The Day P&L line (the latest mark, max, min, drawdown) — cheap, so it is called with every repaint of the
        positions and always shows their total; the curve itself is redrawn on the 4 Hz timer."""
        m = self.mtm
        if m.last is None or m.high is None or m.low is None:
            return
        clock = _clock
        drawdown = (f"max drawdown {format_rupees(m.drawdown)} ({clock(m.drawdown_from.at)}→"
                    f"{clock(m.drawdown_to.at)})" if m.drawdown and m.drawdown_from and m.drawdown_to
                    else "no drawdown")
        text = (f"Day P&L <b>{format_rupees(m.last, sign=True)}</b> · max {format_rupees(m.high.value, sign=True)} "
                f"at {clock(m.high.at)} · min {format_rupees(m.low.value, sign=True)} at {clock(m.low.at)} · "
                f"{drawdown}")
        if text != self.mtm_label.text():
            self.mtm_label.setText(text)


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, IST).strftime("%H:%M:%S")


class ChartWindow(QWidget):
    """A chart of one instrument in its own window (watchlist → Open chart window, F7). It remembers its
    timeframe per instrument (``charts/frame/<token>``) and the size of the last one closed."""

    closed = Signal(object)  # self

    def __init__(self, token: str, master: Master, source: BarSource, prefs: Prefs | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.prefs = prefs
        self.token = token
        frame = Frame.parse(prefs.chart_frame(token)) if prefs is not None else Frame.M1
        self.view = ChartView(source, master, self, frame)
        self.view.set_token(token)
        self.view.frameChanged.connect(self._remember)
        inst = master.get(token)
        self.setWindowTitle(f"{label(inst) if inst else token} — chart")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        geometry = prefs.chart_window_geometry() if prefs is not None else None
        if not isinstance(geometry, QByteArray) or not self.restoreGeometry(geometry):
            self.resize(960, 600)
        add_close_keys(self, escape=True)  # Esc / Ctrl+W: not only Alt+F4

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        fit_into_screen(self)  # a size remembered from a larger screen (or the 960×600 default) never runs off it

    def _remember(self, frame: Frame) -> None:
        if self.prefs is not None:
            self.prefs.set_chart_frame(self.token, frame.label)

    def closeEvent(self, event: Any) -> None:
        if self.prefs is not None:
            self.prefs.save_chart_window_geometry(self.saveGeometry())
        self.closed.emit(self)
        super().closeEvent(event)
