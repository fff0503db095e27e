"""The chart's graphics items and the helpers they share: candles, volume bars and the VWAP line, each painting only
the bars in view and, on a tick of the live bar, only that bar's column (the rest of the pane is not repainted).

Ideas from vnpy's ``vnpy/chart`` (read, not copied): the candle item paints only the bars in view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from ..domain.bars import Bars
from . import theme

pg.setConfigOptions(antialias=False)  # crisp candle edges; curves set their own antialiasing

VWAP_COLOR = QColor("#e69500")
PREV_CLOSE_COLOR = QColor(128, 128, 128)


def paint_plots(canvas: pg.GraphicsView, plots: Iterable[pg.PlotItem]) -> None:
    """Background and axis colours from the app's theme (light or dark), so a chart does not sit black in a light
    window — now and after every theme switch (:func:`theme.follow`)."""
    plots = tuple(plots)

    def paint() -> None:
        background, ink = theme.plot_colours()
        canvas.setBackground(background)
        for plot in plots:
            for name in ("bottom", "right", "left"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(ink))
                axis.setTextPen(pg.mkPen(ink))  # the axis title ("P&L (₹)") too

    paint()
    theme.follow(canvas, paint)


VOLUME_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def volume_top(largest: float) -> float:
    """The volume pane's top for the largest volume in view: the next of a few round steps a tenth above it (1, 1.2,
    1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ), so the pane — and its axis — stay put while the live bar's volume grows,
    instead of rescaling on every redraw; the bars still fill at least about three quarters of it."""
    need = max(largest, 1.0) * 1.1
    power = 10.0 ** math.floor(math.log10(need))
    return next(step * power for step in VOLUME_STEPS if step * power >= need)


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
        self.restyle()
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # paint() is told the exposed rect

    def restyle(self) -> None:
        """The theme's up/down colours; up bars hollow, down bars filled (as many terminals draw them), so the
        direction reads without telling the two colours apart."""
        up, down = QPen(theme.UP), QPen(theme.DOWN)
        up.setCosmetic(True)
        down.setCosmetic(True)
        self.pens = (up, down)
        self.brushes = (QBrush(Qt.BrushStyle.NoBrush), pg.mkBrush(theme.DOWN))
        self.update()

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
    """Candles: a wick from low to high, a body from open to close; up (close ≥ open) hollow in the up colour, down
    filled in the down colour. The wick stops at the body, so a hollow body stays empty."""

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
            bottom, top = np.minimum(o, c).tolist(), np.maximum(o, c).tolist()
            xs = sel.tolist()
            p.drawLines([QLineF(i, a, i, b) for i, a, b in zip(xs, lo.tolist(), bottom, strict=True)]
                        + [QLineF(i, a, i, b) for i, a, b in zip(xs, top, h.tolist(), strict=True)])
            p.drawRects([QRectF(i - 0.35, a, 0.7, b - a) for i, a, b in zip(xs, bottom, top, strict=True)])


class VolumeItem(_BarsItem):
    """Volume seen per bar (sum of ``ltq`` received), drawn like its candle (hollow up, filled down)."""

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
