"""Charts a trader reads: candles (or a close line) in 1/3/5/15/30/60-minute and daily frames, a volume pane, VWAP
and previous-close lines, a crosshair with an O/H/L/C/V readout, executions as ▲/▼ at their bar and open orders as
labelled horizontal lines; below the docked chart, the Day P&L curve with its max/min/drawdown.

Ideas from vnpy's ``vnpy/chart`` (read, not copied): the x axis is the *bar index*, so sessions sit side by side with
no overnight or closed-app gaps and the axis maps indexes back to times (:mod:`.timeaxis`); the candle item paints
only the bars in view; price and volume plots share the x axis; the cursor reads out the bar under the mouse.

Cost: nothing here runs per tick. :meth:`ChartView.redraw` runs on the app's 4 Hz status timer, asks the bar source
for the token's bars only when the source's version moved, and re-sets data only when the token's bars changed;
painting covers the visible bars (``chart_cpu_pct_5k`` in benchmarks).

Mouse wheel zooms and dragging pans the time axis; either stops the view following new bars until *Follow* (or F)
is pressed. The price axis always fits the bars in view (on every instrument and frame change, and while panning).
Keys while the chart has focus: 1–7 pick the frame (1m 3m 5m 15m 30m 1h 1D), L toggles candles/line, F follows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.instruments import InstrumentMaster
from ..domain.money import Paisa, format_rupees
from ..domain.nsetime import IST
from ..domain.orders import OrderKind, Side
from ..services.bars import DAY, IST_OFFSET, Bars, Frame
from ..services.mtm import MtmCurve
from ..services.positions import Fill
from . import theme
from .labels import label
from .prefs import Prefs
from .timeaxis import BarTimeAxis, ClockAxis, RupeeAxis, VolumeAxis
from .widgets import add_close_keys, fit_into_screen

pg.setConfigOptions(antialias=False)  # crisp candle edges; curves set their own antialiasing

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
DEFAULT_SPAN = 120  # bars in view when following
GAP_BARS = 5  # more bars than this missing inside a session is marked as a gap
MAX_GAP_MARKS = 100
VWAP_COLOR = QColor("#e69500")
PREV_CLOSE_COLOR = QColor(128, 128, 128)


CANVAS_MIN = 150  # the price and volume plots' least height
CANVAS_MIN_YIELDING = 70  # a few price lines: while a banner needs the room (ChartPanel.yield_height)

class BarSource(Protocol):
    """Where a chart gets its bars (the desk's :class:`~airalgo_desktop.services.barbook.BarBook`)."""

    @property
    def version(self) -> int:
        """Changes whenever any bar changed."""

    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        """Earlier sessions and today, oldest first — new arrays on every call, never changed afterwards (the chart
        compares them with the ones on screen to repaint only what changed)."""

    def previous_close(self, token: str) -> Paisa | None:
        """The last close before today."""


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


def paint_plots(canvas: pg.GraphicsView, plots: Iterable[pg.PlotItem]) -> None:
    """Background and axis colours from the app's theme (light or dark), so a chart does not sit black in a light
    window."""
    app = QApplication.instance()
    dark = bool(app.property("airalgo_dark")) if app is not None else True
    background, ink = ("#101216", "#b8bcc4") if dark else ("#ffffff", "#3a3d43")
    canvas.setBackground(background)
    for plot in plots:
        for name in ("bottom", "right", "left"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(ink))
            axis.setTextPen(pg.mkPen(ink))


def gap_starts(times: np.ndarray, frame: Frame, *, bars: int = GAP_BARS) -> list[int]:
    """Indexes of the bars that come after more than ``bars`` missing bars within the same IST day (intraday
    frames): where the app was closed, or nothing traded. Day boundaries are not gaps (sessions sit side by side)."""
    if frame is Frame.DAY or len(times) < 2:
        return []
    step = frame.value * 60
    jump = np.diff(times) > step * (bars + 1)
    same_day = (times[1:] + IST_OFFSET) // DAY == (times[:-1] + IST_OFFSET) // DAY
    return (np.flatnonzero(jump & same_day) + 1).tolist()


VOLUME_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def volume_top(largest: float) -> float:
    """The volume pane's top for the largest volume in view: the next of a few round steps a tenth above it (1, 1.2,
    1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ), so the pane — and its axis — stay put while the live bar's volume grows,
    instead of rescaling on every redraw; the bars still fill at least about three quarters of it."""
    need = max(largest, 1.0) * 1.1
    power = 10.0 ** math.floor(math.log10(need))
    return next(step * power for step in VOLUME_STEPS if step * power >= need)


def _bar_label(epoch: int, frame: Frame) -> str:
    moment = datetime.fromtimestamp(epoch, IST)
    return moment.strftime("%d %b %Y") if frame is Frame.DAY else moment.strftime("%d %b %H:%M")


def _with_room(n: int, lo: float, hi: float) -> QRectF:
    """Bounds over ``n`` bars from ``lo`` to ``hi`` with room above and below for the live bar to move in before
    the bounds — and so every bar — change (about 1 %, at least 5 paise)."""
    room = max(hi * 0.01, 0.05)
    return QRectF(-1, lo - room, n + 2, hi - lo + 2 * room)


class _LiveItem(pg.GraphicsObject):
    """A chart item whose data changes mostly at its last bar (the live minute): a change there repaints that
    bar's column, not the pane (a whole pane costs a few ms a redraw; benchmarks: chart_cpu_pct_5k) — unless it
    left the item's bounds, which leave it room."""

    def __init__(self) -> None:
        super().__init__()
        self._rect = QRectF()

    def boundingRect(self) -> QRectF:
        return self._rect

    def _live_span(self) -> QRectF:
        """The last bar's column in data coordinates (a null rect when there is nothing to draw there)."""
        raise NotImplementedError

    def _bounds(self) -> QRectF:
        raise NotImplementedError

    def _live_column(self) -> QRectF:
        """:meth:`_live_span` with a few device pixels to spare for the pen."""
        span = self._live_span()
        if span.isNull():
            return span
        pw, ph = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        return span.adjusted(-3 * pw, -3 * ph, 3 * pw, 3 * ph)

    def _changed(self, before: QRectF | None) -> None:
        """After new data: ``before`` (the live column as it was, when only the last bar changed) and the new live
        column are repainted if that column is still inside the bounds; else the bounds are taken again and the
        whole item is repainted."""
        if before is not None:
            span = self._live_span()
            if span.isNull() or (self._rect.top() <= span.top() and span.bottom() <= self._rect.bottom()):
                self.update(before.united(self._live_column()))
                return
        self.prepareGeometryChange()
        self._rect = self._bounds()
        self.update()


class _BarsItem(_LiveItem):
    """Shared by candles and volume: holds the bars (in rupees) and paints only the ones in view — and of those only
    the ones in the exposed part (a live-bar tick exposes its column only)."""

    def __init__(self) -> None:
        super().__init__()
        self.o = self.h = self.l = self.c = self.v = np.zeros(0)
        up, down = QPen(theme.UP), QPen(theme.DOWN)
        up.setCosmetic(True)
        down.setCosmetic(True)
        self.pens = (up, down)
        self.brushes = (pg.mkBrush(theme.UP), pg.mkBrush(theme.DOWN))
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # paint() is told the exposed rect

    def set_bars(self, bars: Bars, *, live_only: bool = False) -> None:
        """New bars. ``live_only``: the caller knows only the last bar changed (same bars before it)."""
        before = self._live_column() if live_only and len(self.o) == len(bars) and len(bars) else None
        self.o, self.h, self.l, self.c = (bars.open / 100, bars.high / 100, bars.low / 100, bars.close / 100)
        self.v = bars.volume.astype(np.float64)
        self._changed(before)

    def _column(self, lo: float, hi: float) -> QRectF:
        n = len(self.o)
        return QRectF(n - 1.5, lo, 1, hi - lo)

    def visible_groups(self, exposed: QRectF | None = None) -> Iterator[tuple[np.ndarray, QPen, QBrush]]:
        """(indexes of the bars in view — within ``exposed`` if given —, pen, brush) for the up bars, then the down
        bars (two pen changes a paint)."""
        vb = self.getViewBox()
        n = len(self.o)
        lo, hi = vb.viewRange()[0] if vb is not None else (0, n)
        if exposed is not None and not exposed.isEmpty():
            lo, hi = max(lo, exposed.left()), min(hi, exposed.right())
        i0, i1 = max(0, int(lo) - 1), min(n, int(hi) + 2)
        if i1 <= i0:
            return
        idx = np.arange(i0, i1)
        up = self.c[i0:i1] >= self.o[i0:i1]
        for group, pen, brush in ((up, self.pens[0], self.brushes[0]), (~up, self.pens[1], self.brushes[1])):
            sel = idx[group]
            if len(sel):
                yield sel, pen, brush


class CandleItem(_BarsItem):
    """Candles: a wick from low to high, a body from open to close; green up (close ≥ open), red down."""

    def _bounds(self) -> QRectF:
        if not len(self.o):
            return QRectF()
        return _with_room(len(self.o), float(self.l.min()), float(self.h.max()))

    def _live_span(self) -> QRectF:
        return self._column(float(self.l[-1]), float(self.h[-1]))

    def paint(self, p: QPainter, option: object = None, *_args: object) -> None:
        for sel, pen, brush in self.visible_groups(getattr(option, "exposedRect", None)):
            p.setPen(pen)
            p.setBrush(brush)
            h, lo, o, c = self.h[sel], self.l[sel], self.o[sel], self.c[sel]
            p.drawLines([QLineF(i, a, i, b) for i, a, b in zip(sel.tolist(), lo.tolist(), h.tolist(), strict=True)])
            p.drawRects([QRectF(i - 0.35, a, 0.7, b - a) for i, a, b in
                         zip(sel.tolist(), np.minimum(o, c).tolist(), np.maximum(o, c).tolist(), strict=True)])


class VolumeItem(_BarsItem):
    """Volume seen per bar (sum of ``ltq`` received), coloured like its candle."""

    def _bounds(self) -> QRectF:  # up to the pane's round top: the live bar's volume grows into it
        return QRectF(-1, 0, len(self.v) + 2, volume_top(float(self.v.max())) if len(self.v) else 1.0)

    def _live_span(self) -> QRectF:
        return self._column(0.0, float(self.v[-1]))

    def paint(self, p: QPainter, option: object = None, *_args: object) -> None:
        for sel, pen, brush in self.visible_groups(getattr(option, "exposedRect", None)):
            p.setPen(pen)
            p.setBrush(brush)
            p.drawRects([QRectF(i - 0.35, 0, 0.7, v) for i, v in zip(sel.tolist(), self.v[sel].tolist(), strict=True)])


class VwapItem(_LiveItem):
    """The day's running VWAP as a line over the bars (NaN — no volume yet — leaves a gap). Like the bars, a change
    of the live bar's value repaints only the last segment's column (a ``PlotDataItem`` would repaint its whole
    bounding rect, and with it every candle under it)."""

    def __init__(self, pen: QPen) -> None:
        super().__init__()
        self.pen = pen
        self.values = np.zeros(0)
        self._path: Any = None

    def set_values(self, values: np.ndarray, *, live_only: bool = False) -> None:
        """The VWAP at each bar's close (rupees). ``live_only``: only the last value changed."""
        n = len(values)
        before = self._live_column() if live_only and n == len(self.values) and n else None
        self.values = values
        self._path = None
        self._changed(before)

    def _bounds(self) -> QRectF:
        finite = self.values[np.isfinite(self.values)]
        return _with_room(len(self.values), float(finite.min()), float(finite.max())) if len(finite) else QRectF()

    def _live_span(self) -> QRectF:
        """The last segment (its finite ends)."""
        n = len(self.values)
        tail = self.values[max(0, n - 2):]
        tail = tail[np.isfinite(tail)]
        if not len(tail):
            return QRectF()
        lo, hi = float(tail.min()), float(tail.max())
        return QRectF(n - 2, lo, 1, hi - lo)

    def paint(self, p: QPainter, *_args: object) -> None:
        if self._path is None:
            values = self.values
            self._path = pg.arrayToQPath(np.arange(len(values), dtype=np.float64), values, connect="finite") \
                if len(values) else None
        if self._path is not None:
            p.setPen(self.pen)
            p.drawPath(self._path)


class ChartView(QWidget):
    """One instrument's bar chart: toolbar (frames, line mode, follow), readout, price pane and volume pane."""

    frameChanged = Signal(object)  # Frame

    def __init__(self, source: BarSource, master: InstrumentMaster, parent: QWidget | None = None,
                 frame: Frame = Frame.M1) -> None:
        super().__init__(parent)
        self.source, self.master = source, master
        self.token: str | None = None
        self.frame = frame
        self.line_mode = False
        self.following = True
        self.span = DEFAULT_SPAN
        self.bars = Bars.empty()
        self.vwap_values = np.zeros(0)  # the bars' VWAP, computed once per change
        self._prev: Paisa | None = None
        self.fills: list[Fill] = []
        self._orders: list[OrderLine] = []
        self._order_items: list[pg.InfiniteLine] = []
        self.gaps: list[int] = []  # bar indexes that follow a stretch without bars (app closed, or no trades)
        self._gap_items: list[pg.InfiniteLine] = []
        self._seen: tuple = ()
        self._shown: tuple = ()  # (token, frame) of the bars on screen
        self._cursor: int | None = None
        self._fitting = False
        self._marks: dict = {}
        self._build()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Chart", self)
        self.title.setObjectName("chart_title")
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.frame_buttons = QButtonGroup(self)
        self.frame_buttons.setExclusive(True)
        for number, frame in enumerate(Frame, start=1):
            button = QToolButton(self)
            button.setText(frame.label)
            button.setCheckable(True)
            button.setChecked(frame is self.frame)
            button.setToolTip(f"{frame.label} bars (key {number})")
            button.setObjectName(f"frame_{frame.label}")
            self.frame_buttons.addButton(button, number)
            bar.addWidget(button)
        self.frame_buttons.idClicked.connect(lambda number: self.set_frame(list(Frame)[number - 1]))
        self.line_button = QToolButton(self)
        self.line_button.setText("Line")
        self.line_button.setCheckable(True)
        self.line_button.setToolTip("Close line instead of candles (L)")
        self.line_button.toggled.connect(self.set_line_mode)
        self.follow_button = QToolButton(self)
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest bar in view (F); zooming or panning by hand stops it")
        self.follow_button.clicked.connect(lambda _on=False: self.follow())
        bar.addWidget(self.line_button)
        bar.addWidget(self.follow_button)
        self.readout = QLabel("", self)
        self.readout.setObjectName("chart_readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        # the OHLC / volume / VWAP line wraps in a narrow chart instead of setting the window's minimum width
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.axis = BarTimeAxis()
        self.volume_axis = BarTimeAxis()
        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setObjectName("price_chart")
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.canvas.ci.setSpacing(0)
        self.price_plot = self.canvas.addPlot(row=0, col=0, axisItems={"bottom": self.axis,
                                                                       "right": RupeeAxis("right")})
        self.volume_plot = self.canvas.addPlot(row=1, col=0, axisItems={"bottom": self.volume_axis,
                                                                        "right": VolumeAxis()})
        self.canvas.ci.layout.setRowStretchFactor(0, 4)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
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
        self.canvas.setMinimumHeight(CANVAS_MIN)
        self.candles = CandleItem()
        self.volumes = VolumeItem()
        self.line = pg.PlotDataItem(pen=pg.mkPen(theme.BUY, width=2), antialias=True)
        self.line.setVisible(False)
        self.vwap = VwapItem(pg.mkPen(VWAP_COLOR, width=1.5))  # a slow curve: no antialiasing
        self.prev_close = pg.InfiniteLine(angle=0, movable=False,
                                          pen=pg.mkPen(PREV_CLOSE_COLOR, style=Qt.PenStyle.DashLine),
                                          label="", labelOpts={"position": 0.75, "color": PREV_CLOSE_COLOR,
                                                               "anchors": [(0, 1), (0, 1)]})
        self.prev_close.setVisible(False)
        # filled triangles with a darker rim: readable on a light and on a dark background
        self.buys = pg.ScatterPlotItem(symbol="t1", size=15, brush=pg.mkBrush(theme.UP),
                                       pen=pg.mkPen(theme.UP.darker(170), width=1.5))
        self.sells = pg.ScatterPlotItem(symbol="t", size=15, brush=pg.mkBrush(theme.DOWN),
                                        pen=pg.mkPen(theme.DOWN.darker(170), width=1.5))
        cross = pg.mkPen((140, 140, 140), style=Qt.PenStyle.DotLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=cross)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=cross, label="{value:,.2f}",
                                     labelOpts={"position": 0.98, "color": (200, 200, 200),
                                                "fill": (60, 60, 60, 200), "anchors": [(1, 0.5), (1, 0.5)]})
        self.vline_volume = pg.InfiniteLine(angle=90, movable=False, pen=cross)
        for item in (self.vline, self.hline, self.vline_volume):
            item.setVisible(False)
        for item in (self.candles, self.line, self.vwap, self.prev_close, self.buys, self.sells, self.vline,
                     self.hline):
            self.price_plot.addItem(item, ignoreBounds=True)
        self.volume_plot.addItem(self.volumes, ignoreBounds=True)
        self.volume_plot.addItem(self.vline_volume, ignoreBounds=True)
        vb = self.price_plot.getViewBox()
        vb.sigRangeChangedManually.connect(self._manual_range)
        vb.sigXRangeChanged.connect(lambda *_a: self._fit_y())
        self.canvas.scene().sigMouseMoved.connect(self._mouse_moved)
        paint_plots(self.canvas, (self.price_plot, self.volume_plot))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(bar)
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
        self.token = token
        self.following, self.span = True, DEFAULT_SPAN
        self.follow_button.setChecked(True)
        self._cursor = None
        inst = self.master.get(token) if token else None
        self.title.setText(f"<b>{label(inst)}</b>" if inst else ("Chart" if not token else f"<b>{token}</b>"))
        self.redraw(force=True)

    def set_frame(self, frame: Frame) -> None:
        """Change the timeframe (buttons, keys 1–7)."""
        button = self.frame_buttons.button(list(Frame).index(frame) + 1)
        if button is not None and not button.isChecked():
            button.setChecked(True)
        if frame is self.frame:
            return
        self.frame = frame
        self.following, self.span = True, DEFAULT_SPAN
        self.follow_button.setChecked(True)
        self.frameChanged.emit(frame)
        self.redraw(force=True)

    def set_line_mode(self, on: bool) -> None:
        """A close line instead of candles."""
        self.line_mode = on
        if self.line_button.isChecked() != on:
            self.line_button.setChecked(on)
        self.candles.setVisible(not on)
        self.line.setVisible(on)
        self._set_line()

    def _set_line(self) -> None:
        """The close line's data (only while it is shown); it does not bridge a gap with an invented segment."""
        if not self.line_mode:
            return
        n = len(self.bars)
        connect = np.ones(n, dtype=np.int32)
        for index in self.gaps:
            connect[index - 1] = 0
        self.line.setData(np.arange(n, dtype=np.float64), self.bars.close / 100, connect=connect)

    def follow(self) -> None:
        """Keep the newest bar in view again, at the current zoom."""
        lo, hi = self.price_plot.getViewBox().viewRange()[0]
        if not self.following:
            self.span = int(min(max(hi - lo, 10), 5000))
        self.following = True
        self.follow_button.setChecked(True)
        self._place_x()

    def set_fills(self, fills: Sequence[Fill]) -> None:
        """Executions (all instruments; this chart marks its own)."""
        self.fills = list(fills)
        self._draw_fills()

    def set_orders(self, records: Iterable[Any]) -> None:
        """Open orders (all instruments): this chart draws lines for its own."""
        lines = order_lines(records, self.token)
        if lines == self._orders:
            return
        self._orders = lines
        self._fit_y()
        for item in self._order_items:
            self.price_plot.removeItem(item)
        self._order_items = []
        for line in lines:
            color = theme.BUY if line.side is Side.BUY else theme.SELL
            item = pg.InfiniteLine(pos=line.price / 100, angle=0, movable=False,
                                   pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashDotLine), label=line.label,
                                   labelOpts={"position": 0.12, "color": "w", "fill": color,
                                              "anchors": [(0, 1), (0, 1)]})
            self.price_plot.addItem(item, ignoreBounds=True)
            self._order_items.append(item)

    # ------------------------------------------------------------------ drawing
    def redraw(self, force: bool = False) -> None:
        """Refresh from the bar source (a timer calls this); a no-op when nothing changed."""
        seen = (self.token, self.frame, self.source.version)
        if seen == self._seen and not force:
            return
        self._seen = seen
        bars = self.source.bars(self.token, self.frame) if self.token else Bars.empty()
        shown = (self.token, self.frame)
        change = "all" if force or shown != self._shown else self._change(bars)
        if change == "none":  # the version moved for other tokens' ticks
            return
        live_only = change == "live"
        self._shown = shown
        self.bars = bars
        self.vwap_values = bars.vwap
        n = len(bars)
        bar_minutes = self.frame.value
        self.axis.set_times(bars.time, bar_minutes)
        self.volume_axis.set_times(bars.time, bar_minutes)
        self.candles.set_bars(bars, live_only=live_only)
        self.volumes.set_bars(bars, live_only=live_only)
        self.vwap.set_values(self.vwap_values / 100, live_only=live_only)
        if not live_only:  # a tick on the live bar moves no gap
            self.gaps = gap_starts(bars.time, self.frame)
            self._draw_gaps()
        self._set_line()
        prev = self.previous_close()
        if prev != self._prev:
            self._prev = prev
            self.prev_close.setVisible(prev is not None)
            if prev is not None:
                self.prev_close.setPos(prev / 100)
                self.prev_close.label.setFormat(f"prev close {format_rupees(prev)}")
        slack = max(n, 60)  # panning may go this far past either end, no further
        if self.price_plot.getViewBox().state["limits"]["xLimits"][1] != n + slack:
            for plot in (self.price_plot, self.volume_plot):
                plot.getViewBox().setLimits(xMin=-slack, xMax=n + slack, minXRange=5)
        self._draw_fills()
        if self.following:
            self._place_x()
        else:
            self._fit_y()
        self._show_readout(self._cursor if self._cursor is not None else n - 1)

    def _change(self, bars: Bars) -> str:
        """What changed against the bars on screen (same token and frame): ``"none"``; ``"live"`` — only the last
        bar, a tick on the live minute (four times a second), which repaints only that bar's column; or ``"all"``
        (a new bar, a late trade on an earlier one)."""
        old = self.bars
        if len(old) != len(bars) or not np.array_equal(old.time, bars.time):
            return "all"
        if not len(bars):
            return "none"
        columns = ((old.open, bars.open), (old.high, bars.high), (old.low, bars.low), (old.close, bars.close),
                   (old.volume, bars.volume), (old.pv, bars.pv))
        if not all(np.array_equal(a[:-1], b[:-1]) for a, b in columns):
            return "all"
        return "live" if any(a[-1] != b[-1] for a, b in columns) else "none"

    def previous_close(self) -> Paisa | None:
        """The instrument master's previous close (what the instrument panel shows); without one, the last close
        the bar store kept from an earlier session."""
        if not self.token:
            return None
        inst = self.master.get(self.token)
        if inst is not None and inst.prev_close:
            return inst.prev_close
        return self.source.previous_close(self.token)

    def _draw_gaps(self) -> None:
        """A dashed separator before each bar that follows a gap (the bar-index axis closes it up; this says it
        was there) — the newest ``MAX_GAP_MARKS`` of them."""
        wanted = self.gaps[-MAX_GAP_MARKS:]
        while len(self._gap_items) < len(wanted):
            item = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(PREV_CLOSE_COLOR, width=1, style=Qt.PenStyle.DashLine))
            self.price_plot.addItem(item, ignoreBounds=True)
            self._gap_items.append(item)
        for item, index in zip(self._gap_items, wanted, strict=False):
            item.setPos(index - 0.5)
            item.setVisible(True)
        for item in self._gap_items[len(wanted):]:
            item.setVisible(False)

    def _place_x(self) -> None:
        """Following: the newest ``span`` bars with a little room on the right; with fewer bars than that the view
        narrows to them (at least 30 bars wide, so one bar is not a slab), newest at the right as always."""
        n = len(self.bars)
        span = self.span if n >= self.span else max(30, n + 3)
        right = n + max(2, span * 0.06)
        self._fitting = True
        try:
            self.price_plot.setXRange(right - span, right, padding=0)
        finally:
            self._fitting = False
        self._fit_y()

    def visible_range(self) -> tuple[int, int]:
        """Indexes of the bars in view (end exclusive)."""
        lo, hi = self.price_plot.getViewBox().viewRange()[0]
        n = len(self.bars)
        return max(0, int(np.ceil(lo))), min(n, int(np.floor(hi)) + 1)

    def _fit_y(self) -> None:
        """Price pane to the visible bars' low…high (and VWAP in view, and the previous close and open-order lines
        near it — within half that span — so a resting order shows without a far-away one flattening the candles),
        volume pane to their largest volume."""
        i0, i1 = self.visible_range()
        bars = self.bars
        if i1 <= i0:
            if len(bars):
                i0, i1 = max(0, len(bars) - 1), len(bars)
            else:
                return
        lo, hi = float(bars.low[i0:i1].min()) / 100, float(bars.high[i0:i1].max()) / 100
        vwap = self.vwap_values[i0:i1] / 100
        if np.isfinite(vwap).any():
            lo, hi = min(lo, float(np.nanmin(vwap))), max(hi, float(np.nanmax(vwap)))
        reach = max(hi - lo, hi * 0.002) / 2
        levels = [line.price / 100 for line in self._orders]
        if self._prev is not None:
            levels.append(self._prev / 100)
        for price in levels:
            if lo - reach <= price <= hi + reach:
                lo, hi = min(lo, price), max(hi, price)
        pad = max((hi - lo) * 0.08, hi * 0.0005, 0.05)
        self.price_plot.setYRange(lo - pad, hi + pad, padding=0)
        self.volume_plot.setYRange(0, volume_top(float(bars.volume[i0:i1].max())), padding=0)

    def _manual_range(self, *_args: object) -> None:
        if self._fitting:
            return
        self.following = False
        self.follow_button.setChecked(False)

    def _draw_fills(self) -> None:
        times = self.bars.time
        marks: dict[Side, tuple[list[float], list[float]]] = {Side.BUY: ([], []), Side.SELL: ([], [])}
        if len(times):
            duration = self.frame.value * 60
            for fill in self.fills:
                if fill.token != self.token or fill.at < times[0] or fill.at >= times[-1] + duration:
                    continue
                index = int(np.searchsorted(times, fill.at, side="right")) - 1
                xs, ys = marks[fill.side]
                xs.append(float(index))
                ys.append(fill.price / 100)
        if marks != self._marks:
            self._marks = marks
            self.buys.setData(*marks[Side.BUY])
            self.sells.setData(*marks[Side.SELL])

    # ------------------------------------------------------------------ crosshair
    def _mouse_moved(self, pos: QPointF) -> None:
        vb = self.price_plot.getViewBox()
        inside = self.price_plot.sceneBoundingRect().contains(pos) or \
            self.volume_plot.sceneBoundingRect().contains(pos)
        for item in (self.vline, self.hline, self.vline_volume):
            item.setVisible(inside and bool(len(self.bars)))
        if not inside or not len(self.bars):
            self._cursor = None
            self._show_readout(len(self.bars) - 1)
            return
        point = vb.mapSceneToView(pos)
        index = int(min(max(round(point.x()), 0), len(self.bars) - 1))
        self._cursor = index
        self.vline.setPos(index)
        self.vline_volume.setPos(index)
        self.hline.setPos(point.y())
        self.hline.setVisible(self.price_plot.sceneBoundingRect().contains(pos))
        self._show_readout(index)

    def readout_text(self, index: int) -> str:
        """``09 Jan 09:32  O … H … L … C … Vol (seen) … VWAP …`` for a bar (what the crosshair shows)."""
        bars = self.bars
        if not 0 <= index < len(bars):
            return "No bars yet: they build from the ticks as they arrive." if self.token else ""
        vwap = self.vwap_values[index]
        change = int(bars.close[index]) - int(bars.open[index])
        color = theme.UP.name() if change >= 0 else theme.DOWN.name()
        parts = [f"<b>{_bar_label(int(bars.time[index]), self.frame)}</b>",
                 f"O {format_rupees(int(bars.open[index]), symbol=False)}",
                 f"H {format_rupees(int(bars.high[index]), symbol=False)}",
                 f"L {format_rupees(int(bars.low[index]), symbol=False)}",
                 f"C <span style='color:{color}'>{format_rupees(int(bars.close[index]), symbol=False)}</span>",
                 f"Vol (seen) {int(bars.volume[index]):,}"]
        if np.isfinite(vwap):
            parts.append(f"<span style='color:{VWAP_COLOR.name()}'>VWAP {format_rupees(round(vwap), symbol=False)}"
                         "</span>")
        return " &nbsp; ".join(parts)

    def _show_readout(self, index: int) -> None:
        self.readout.setText(self.readout_text(index))


class ChartPanel(QWidget):
    """The docked chart: the watchlist's selected instrument, above the day's P&L curve."""

    def __init__(self, master: InstrumentMaster, source: BarSource, mtm: MtmCurve, parent: QWidget | None = None,
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

    def __init__(self, token: str, master: InstrumentMaster, source: BarSource, prefs: Prefs | None = None,
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
