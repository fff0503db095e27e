"""A chart's layers: the canvas (price pane over volume pane: candles or the close line, VWAP, the previous close and
gap marks above, volume below), the marker layer (executions as ▲/▼ at their bar, open orders as labelled lines) and
the crosshair with its O/H/L/C/V readout.

The x axis is the *bar index* (vnpy's idea), so sessions sit side by side with no overnight or closed-app gaps and the
axes map indexes back to times (:mod:`.timeaxis`); price and volume panes share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..domain.bars import DAY, IST_OFFSET, Bars, Frame
from ..domain.money import Paisa, format_rupees
from ..domain.nsetime import IST
from ..domain.orders import OrderKind, Side
from ..services.positions import Fill
from . import theme
from .chart_feed import BarFeed
from .chart_items import PREV_CLOSE_COLOR, VWAP_COLOR, CandleItem, VolumeItem, VwapItem, paint_plots, volume_top
from .timeaxis import BarTimeAxis, RupeeAxis, VolumeAxis

ABOVE, BELOW = (0, 1), (0, 0)  # a label's anchor: its bottom-left on the line (above it), or its top-left (below)
LABEL_MARGIN = 4.0  # px between order labels, and from the pane's edges
GAP_BARS = 5  # more bars than this missing inside a session is marked as a gap
MAX_GAP_MARKS = 100


def gap_starts(times: np.ndarray, frame: Frame, *, bars: int = GAP_BARS) -> list[int]:
    """Indexes of the bars that come after more than ``bars`` missing bars within the same IST day (intraday
    frames): where the app was closed, or nothing traded. Day boundaries are not gaps (sessions sit side by side)."""
    if frame is Frame.DAY or len(times) < 2:
        return []
    step = frame.value * 60
    jump = np.diff(times) > step * (bars + 1)
    same_day = (times[1:] + IST_OFFSET) // DAY == (times[:-1] + IST_OFFSET) // DAY
    return (np.flatnonzero(jump & same_day) + 1).tolist()


class ChartCanvas(pg.GraphicsLayoutWidget):
    """The price pane over the volume pane (a fifth of the height), sharing the bar-index x axis; neither pane
    auto-ranges: the chart places x (:meth:`place_x`) and fits y to the bars in view (:meth:`fit_y`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axis = BarTimeAxis()
        self.volume_axis = BarTimeAxis()
        self.setObjectName("price_chart")
        self.setAccessibleName("Price chart")
        self.setAccessibleDescription(
            "Candles over volume, one per bar: hollow when the bar closed at or above its open, filled when below. "
            "Open orders are dash-dot lines labelled with side, quantity and price; fills are ▲ buy and ▼ sell.")
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.ci.setSpacing(0)
        self.price_plot = self.addPlot(row=0, col=0, axisItems={"bottom": self.axis, "right": RupeeAxis("right")})
        self.volume_plot = self.addPlot(row=1, col=0, axisItems={"bottom": self.volume_axis,
                                                                 "right": VolumeAxis()})
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        for plot in (self.price_plot, self.volume_plot):
            plot.hideAxis("left")
            plot.showAxis("right")
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            plot.enableAutoRange(x=False, y=False)
            for name in ("bottom", "right"):  # our axes format their own units: no SI-prefix label work per range
                plot.getAxis(name).enableAutoSIPrefix(False)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.line_mode = False
        self.candles = CandleItem()
        self.volumes = VolumeItem()
        self.line = pg.PlotDataItem(pen=pg.mkPen(theme.BUY, width=2), antialias=True)
        self.line.setVisible(False)
        self.vwap = VwapItem(pg.mkPen(VWAP_COLOR, width=1.5))  # a slow curve: no antialiasing
        self.prev: Paisa | None = None  # the previous close on screen
        self.prev_close = pg.InfiniteLine(angle=0, movable=False,
                                          pen=pg.mkPen(PREV_CLOSE_COLOR, style=Qt.PenStyle.DashLine),
                                          label="", labelOpts={"position": 0.75, "color": PREV_CLOSE_COLOR,
                                                               # below the line when it is in the pane's upper
                                                               # half, so the label is never cut at the top
                                                               "anchors": [BELOW, ABOVE]})
        self.prev_close.setVisible(False)
        for item in (self.candles, self.line, self.vwap, self.prev_close):
            self.price_plot.addItem(item, ignoreBounds=True)
        self.volume_plot.addItem(self.volumes, ignoreBounds=True)
        self.gaps: list[int] = []  # bar indexes that follow a stretch without bars (app closed, or no trades)
        self.gap_items: list[pg.InfiniteLine] = []
        self.fitting = False  # the chart is placing x itself (not the trader panning)
        paint_plots(self, (self.price_plot, self.volume_plot))
        theme.follow(self, self.restyle)

    def restyle(self) -> None:
        """The new theme's up/down and line colours (a theme switch reaches the open charts live)."""
        self.candles.restyle()
        self.volumes.restyle()
        self.line.setPen(pg.mkPen(theme.BUY, width=2))

    def show_bars(self, bars: Bars, vwap_values: np.ndarray, frame: Frame, *, live_only: bool = False) -> None:
        """New bars on the panes. ``live_only``: only the last bar changed — each item repaints that bar's column."""
        n = len(bars)
        bar_minutes = frame.value
        self.axis.set_times(bars.time, bar_minutes)
        self.volume_axis.set_times(bars.time, bar_minutes)
        self.candles.set_bars(bars, live_only=live_only)
        self.volumes.set_bars(bars, live_only=live_only)
        self.vwap.set_values(vwap_values / 100, live_only=live_only)
        if not live_only:  # a tick on the live bar moves no gap
            self.gaps = gap_starts(bars.time, frame)
            self._draw_gaps()
        self._set_line(bars)
        slack = max(n, 60)  # panning may go this far past either end, no further
        if self.price_plot.getViewBox().state["limits"]["xLimits"][1] != n + slack:
            for plot in (self.price_plot, self.volume_plot):
                plot.getViewBox().setLimits(xMin=-slack, xMax=n + slack, minXRange=5)

    def show_prev_close(self, prev: Paisa | None) -> None:
        """The previous close as a dashed, labelled line (none without one)."""
        if prev != self.prev:
            self.prev = prev
            self.prev_close.setVisible(prev is not None)
            if prev is not None:
                self.prev_close.setPos(prev / 100)
                self.prev_close.label.setFormat(f"prev close {format_rupees(prev)}")

    def set_line_mode(self, on: bool, bars: Bars) -> None:
        """A close line instead of candles."""
        self.line_mode = on
        self.candles.setVisible(not on)
        self.line.setVisible(on)
        self._set_line(bars)

    def _set_line(self, bars: Bars) -> None:
        """The close line's data (only while it is shown); it does not bridge a gap with an invented segment."""
        if not self.line_mode:
            return
        n = len(bars)
        connect = np.ones(n, dtype=np.int32)
        for index in self.gaps:
            connect[index - 1] = 0
        self.line.setData(np.arange(n, dtype=np.float64), bars.close / 100, connect=connect)

    def _draw_gaps(self) -> None:
        """A dashed separator before each bar that follows a gap (the bar-index axis closes it up; this says it
        was there) — the newest ``MAX_GAP_MARKS`` of them."""
        wanted = self.gaps[-MAX_GAP_MARKS:]
        while len(self.gap_items) < len(wanted):
            item = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(PREV_CLOSE_COLOR, width=1, style=Qt.PenStyle.DashLine))
            self.price_plot.addItem(item, ignoreBounds=True)
            self.gap_items.append(item)
        for item, index in zip(self.gap_items, wanted, strict=False):
            item.setPos(index - 0.5)
            item.setVisible(True)
        for item in self.gap_items[len(wanted):]:
            item.setVisible(False)

    def place_x(self, n: int, span: int) -> None:
        """The newest ``span`` of ``n`` bars with a little room on the right; with fewer bars than that the view
        narrows to them (at least 30 bars wide, so one bar is not a slab), newest at the right as always."""
        span = span if n >= span else max(30, n + 3)
        right = n + max(2, span * 0.06)
        self.fitting = True
        try:
            self.price_plot.setXRange(right - span, right, padding=0)
        finally:
            self.fitting = False

    def visible_range(self, n: int) -> tuple[int, int]:
        """Indexes of the bars in view, of ``n`` (end exclusive)."""
        lo, hi = self.price_plot.getViewBox().viewRange()[0]
        return max(0, int(np.ceil(lo))), min(n, int(np.floor(hi)) + 1)

    def fit_y(self, bars: Bars, vwap_values: np.ndarray, levels: Iterable[Paisa]) -> None:
        """Price pane to the visible bars' low…high (and VWAP in view, and the ``levels`` — the previous close and
        open-order lines — near it, within half that span, so a resting order shows without a far-away one
        flattening the candles), volume pane to their largest volume."""
        i0, i1 = self.visible_range(len(bars))
        if i1 <= i0:
            if len(bars):
                i0, i1 = max(0, len(bars) - 1), len(bars)
            else:
                return
        lo, hi = float(bars.low[i0:i1].min()) / 100, float(bars.high[i0:i1].max()) / 100
        vwap = vwap_values[i0:i1] / 100
        if np.isfinite(vwap).any():
            lo, hi = min(lo, float(np.nanmin(vwap))), max(hi, float(np.nanmax(vwap)))
        reach = max(hi - lo, hi * 0.002) / 2
        for price in (level / 100 for level in levels):
            if lo - reach <= price <= hi + reach:
                lo, hi = min(lo, price), max(hi, price)
        pad = max((hi - lo) * 0.08, hi * 0.0005, 0.05)
        self.price_plot.setYRange(lo - pad, hi + pad, padding=0)
        self.volume_plot.setYRange(0, volume_top(float(bars.volume[i0:i1].max())), padding=0)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """An open order drawn across the chart."""

    price: Paisa
    label: str
    side: Side


def order_lines(records: Iterable[Any], token: str | None) -> list[OrderLine]:
    """Lines for the open orders of ``token``: limit price for LIMIT, trigger (and limit) for SL, trigger for SL-M;
    labelled with side, quantity and type (``BUY 50 LIMIT``)."""
    out = []
    for record in records:
        req = record.request
        if req.token != token or not record.is_open or req.kind is OrderKind.MARKET:
            continue
        head = f"{req.side.label.upper()} {req.quantity}"
        if req.kind is OrderKind.LIMIT:
            out.append(OrderLine(req.price, f"{head} LIMIT {format_rupees(req.price)}", req.side))
        else:
            out.append(OrderLine(req.trigger_price, f"{head} {req.kind.name} trigger "
                                                    f"{format_rupees(req.trigger_price)}", req.side))
            if req.kind is OrderKind.SL and req.price:
                out.append(OrderLine(req.price, f"{head} SL limit {format_rupees(req.price)}", req.side))
    return out


class MarkerLayer:
    """On the price pane: executions as ▲ (buy) / ▼ (sell) at the bar they happened in, and open orders as labelled
    dash-dot lines in the side's colour."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.fills: list[Fill] = []
        self.orders: list[OrderLine] = []
        self.order_items: list[pg.InfiniteLine] = []
        self._marks: dict = {}
        self.buys = pg.ScatterPlotItem(symbol="t1", size=15)
        self.sells = pg.ScatterPlotItem(symbol="t", size=15)
        for item in (self.buys, self.sells):
            plot.addItem(item, ignoreBounds=True)
        self.restyle()
        vb = plot.getViewBox()
        vb.sigRangeChanged.connect(self.place_labels)
        vb.sigResized.connect(self.place_labels)
        theme.follow(plot, self.restyle)

    def restyle(self) -> None:
        """The theme's colours: filled triangles with a darker rim (readable on a light and on a dark background;
        ▲ buy, ▼ sell by shape), order lines in the side's colour."""
        self.buys.setBrush(pg.mkBrush(theme.UP))
        self.buys.setPen(pg.mkPen(theme.UP.darker(170), width=1.5))
        self.sells.setBrush(pg.mkBrush(theme.DOWN))
        self.sells.setPen(pg.mkPen(theme.DOWN.darker(170), width=1.5))
        lines, self.orders = self.orders, []
        self.set_orders(lines)

    def set_orders(self, lines: list[OrderLine]) -> bool:
        """Draw these order lines; False when they are the ones already drawn."""
        if lines == self.orders:
            return False
        self.orders = lines
        for item in self.order_items:
            self.plot.removeItem(item)
        self.order_items = []
        for line in lines:
            color = theme.BUY if line.side is Side.BUY else theme.SELL
            item = pg.InfiniteLine(pos=line.price / 100, angle=0, movable=False,
                                   pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashDotLine), label=line.label,
                                   labelOpts={"position": 0.02, "color": "w", "fill": color,
                                              "anchors": [ABOVE, ABOVE]})
            self.plot.addItem(item, ignoreBounds=True)
            self.order_items.append(item)
        self.place_labels()
        return True

    def place_labels(self, *_args: object) -> None:
        """Lay the order labels out inside the price pane, none over another: each sits above its line (below it
        when above would leave the pane), from the left, moved right past any label it would overlap (an SL's
        trigger and limit a few paise apart sit side by side)."""
        vb = self.plot.getViewBox()
        pane = vb.sceneBoundingRect()
        if pane.width() <= 0 or pane.height() <= 0:
            return
        placed: list[QRectF] = []
        for item in sorted(self.order_items, key=lambda i: -i.value()):
            label = item.label
            y = vb.mapViewToScene(QPointF(0, item.value())).y()
            if not pane.top() <= y <= pane.bottom():
                continue  # the line is out of view: so is its label
            size = label.boundingRect()
            w, h = size.width(), size.height()
            tops = [(ABOVE, y - h), (BELOW, y)] if y - h >= pane.top() else [(BELOW, y), (ABOVE, y - h)]
            choice = None
            for anchor, top in tops:
                if top < pane.top() or top + h > pane.bottom():
                    continue
                x = pane.left() + LABEL_MARGIN
                while x + w <= pane.right() - LABEL_MARGIN:
                    rect = QRectF(x, top, w, h)
                    hits = [r for r in placed if r.intersects(rect)]
                    if not hits:
                        choice = anchor, rect
                        break
                    x = max(r.right() for r in hits) + LABEL_MARGIN
                if choice is not None:
                    break
            if choice is None:  # no free room (a tiny pane): the preferred place, overlapping
                anchor, top = tops[0]
                choice = anchor, QRectF(pane.left() + LABEL_MARGIN, top, w, h)
            anchor, rect = choice
            placed.append(rect)
            label.anchors = [anchor, anchor]
            label.setAnchor(pg.Point(*anchor))
            label.setPosition((rect.left() - pane.left()) / pane.width())

    def label_rects(self) -> list[QRectF]:
        """The order labels' rectangles in scene coordinates (tests: inside the pane, never overlapping)."""
        return [item.label.sceneBoundingRect() for item in self.order_items if item.label.isVisible()]

    def draw_fills(self, token: str | None, times: np.ndarray, frame: Frame) -> None:
        """Mark the fills of ``token`` that fall inside the bars at ``times`` (bars of ``frame``)."""
        marks: dict[Side, tuple[list[float], list[float]]] = {Side.BUY: ([], []), Side.SELL: ([], [])}
        if len(times):
            duration = frame.value * 60
            for fill in self.fills:
                if fill.token != token or fill.at < times[0] or fill.at >= times[-1] + duration:
                    continue
                index = int(np.searchsorted(times, fill.at, side="right")) - 1
                xs, ys = marks[fill.side]
                xs.append(float(index))
                ys.append(fill.price / 100)
        if marks != self._marks:
            self._marks = marks
            self.buys.setData(*marks[Side.BUY])
            self.sells.setData(*marks[Side.SELL])


def _bar_label(epoch: int, frame: Frame) -> str:
    moment = datetime.fromtimestamp(epoch, IST)
    return moment.strftime("%d %b %Y") if frame is Frame.DAY else moment.strftime("%d %b %H:%M")


class Crosshair:
    """A dotted cross over both panes that follows the mouse, and the readout line above them: the bar under the
    cross (else the newest bar) as ``09 Jan 09:32  O … H … L … C … Vol (seen) … VWAP …``."""

    def __init__(self, feed: BarFeed, canvas: ChartCanvas, parent: QWidget | None = None) -> None:
        self.feed, self.canvas = feed, canvas
        self.readout = QLabel("", parent)
        self.readout.setObjectName("chart_readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        # the OHLC / volume / VWAP line wraps in a narrow chart instead of setting the window's minimum width
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cursor: int | None = None  # the bar under the cross
        cross = pg.mkPen((140, 140, 140), style=Qt.PenStyle.DotLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=cross)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=cross, label="{value:,.2f}",
                                     labelOpts={"position": 0.98, "color": (200, 200, 200),
                                                "fill": (60, 60, 60, 200), "anchors": [(1, 0.5), (1, 0.5)]})
        self.vline_volume = pg.InfiniteLine(angle=90, movable=False, pen=cross)
        for item in (self.vline, self.hline, self.vline_volume):
            item.setVisible(False)
        for item in (self.vline, self.hline):
            canvas.price_plot.addItem(item, ignoreBounds=True)
        canvas.volume_plot.addItem(self.vline_volume, ignoreBounds=True)

    def moved(self, pos: QPointF) -> None:
        """The mouse moved to ``pos`` (scene coordinates): the cross on the bar under it, or away."""
        price_plot, volume_plot = self.canvas.price_plot, self.canvas.volume_plot
        bars = self.feed.bars
        vb = price_plot.getViewBox()
        inside = price_plot.sceneBoundingRect().contains(pos) or volume_plot.sceneBoundingRect().contains(pos)
        for item in (self.vline, self.hline, self.vline_volume):
            item.setVisible(inside and bool(len(bars)))
        if not inside or not len(bars):
            self.cursor = None
            self.show_readout(len(bars) - 1)
            return
        point = vb.mapSceneToView(pos)
        index = int(min(max(round(point.x()), 0), len(bars) - 1))
        self.cursor = index
        self.vline.setPos(index)
        self.vline_volume.setPos(index)
        self.hline.setPos(point.y())
        self.hline.setVisible(price_plot.sceneBoundingRect().contains(pos))
        self.show_readout(index)

    def refresh(self) -> None:
        """The readout again after new bars: the bar under the cross, else the newest."""
        self.show_readout(self.cursor if self.cursor is not None else len(self.feed.bars) - 1)

    def readout_text(self, index: int) -> str:
        """``09 Jan 09:32  O … H … L … C … Vol (seen) … VWAP …`` for a bar (what the crosshair shows)."""
        bars = self.feed.bars
        if not 0 <= index < len(bars):
            return "No bars yet: they build from the ticks as they arrive." if self.feed.token else ""
        vwap = self.feed.vwap_values[index]
        change = int(bars.close[index]) - int(bars.open[index])
        color = theme.UP.name() if change >= 0 else theme.DOWN.name()
        parts = [f"<b>{_bar_label(int(bars.time[index]), self.feed.frame)}</b>",
                 f"O {format_rupees(int(bars.open[index]), symbol=False)}",
                 f"H {format_rupees(int(bars.high[index]), symbol=False)}",
                 f"L {format_rupees(int(bars.low[index]), symbol=False)}",
                 f"C <span style='color:{color}'>{format_rupees(int(bars.close[index]), symbol=False)}</span>",
                 f"Vol (seen) {int(bars.volume[index]):,}"]
        if np.isfinite(vwap):
            parts.append(f"<span style='color:{VWAP_COLOR.name()}'>VWAP {format_rupees(round(vwap), symbol=False)}"
                         "</span>")
        return " &nbsp; ".join(parts)

    def show_readout(self, index: int) -> None:
        """Read out bar ``index``."""
        self.readout.setText(self.readout_text(index))
