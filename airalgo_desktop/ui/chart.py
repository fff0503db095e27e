"""Chart dock: the selected instrument's live LTP on a time axis with executions marked, and the day's
mark-to-market P&L curve with its maximum, minimum and maximum drawdown (each with its time).

pyqtgraph draws it: it is made for live numeric plots in Qt, runs on PySide6, and with clip-to-view plus automatic
downsampling a long session stays cheap; QtCharts/QtGraphs are not part of PySide6-Essentials. The chart redraws
on the coalesced UI timer (4 times a second), never per tick.

Two choices keep a live chart cheap (the benchmark's profile: axes were 2.6 ms a replay, several times a redraw):
no grid lines — pyqtgraph draws them as part of each axis, so every curve update replayed both axes' pictures —
and a time window that steps forward only when the line reaches its right edge, so the axes are regenerated a few
times a minute instead of on every redraw. Panning or zooming by hand stops the window following until another
instrument is chosen.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..domain.instruments import InstrumentMaster
from ..domain.money import format_rupees
from ..domain.nsetime import IST
from ..domain.orders import Side
from ..services.history import HistoryBook
from ..services.mtm import MtmCurve
from ..services.positions import Fill
from . import theme

pg.setConfigOptions(antialias=True)


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, IST).strftime("%H:%M:%S")


class ChartPanel(QWidget):
    """Price chart of one token (follows the watchlist selection) above the day's MTM curve."""

    def __init__(self, master: InstrumentMaster, histories: HistoryBook, mtm: MtmCurve,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.master, self.histories, self.mtm = master, histories, mtm
        self.token: str | None = None
        self.fills: list[Fill] = []
        self._drawn: tuple = ()  # what the last redraw showed: redraw only when it changes
        self.title = QLabel("Chart", self)
        self.price_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=-19800)})
        self.price_plot.setObjectName("price_chart")
        self._x_window: tuple[float, float] | None = None  # the time range shown while following the line
        self._follow = True
        self.price_plot.enableAutoRange(x=False, y=True)
        self.price_plot.getViewBox().sigRangeChangedManually.connect(self._stop_following)
        self.price_plot.setClipToView(True)
        self.price_plot.setDownsampling(auto=True, mode="peak")
        self.price_plot.setMenuEnabled(False)
        self.price_plot.setMinimumHeight(150)
        self.price_curve = self.price_plot.plot(pen=pg.mkPen(theme.BUY, width=2))
        self.buys = pg.ScatterPlotItem(symbol="t1", size=13, brush=pg.mkBrush(theme.UP), pen=pg.mkPen("w"))
        self.sells = pg.ScatterPlotItem(symbol="t", size=13, brush=pg.mkBrush(theme.DOWN), pen=pg.mkPen("w"))
        self.price_plot.addItem(self.buys)
        self.price_plot.addItem(self.sells)
        self.mtm_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=-19800)})
        self.mtm_plot.setObjectName("mtm_chart")
        self.mtm_plot.setMenuEnabled(False)
        self.mtm_plot.addLine(y=0, pen=pg.mkPen((128, 128, 128), style=pg.QtCore.Qt.PenStyle.DashLine))
        self.mtm_curve = self.mtm_plot.plot(pen=pg.mkPen(theme.UP, width=2))
        self.mtm_label = QLabel("Day P&L: no fills yet", self)
        self.mtm_label.setObjectName("mtm_stats")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.price_plot, 3)
        layout.addWidget(self.mtm_label)
        layout.addWidget(self.mtm_plot, 2)

    def show_token(self, token: str | None) -> None:
        """Follow the selection."""
        if token != self.token:
            self._x_window, self._follow = None, True
        self.token = token
        inst = self.master.get(token) if token else None
        self.title.setText(f"<b>{inst.display}</b> — live LTP (₹), executions ▲ buy / ▼ sell" if inst else "Chart")
        self.redraw()

    def _stop_following(self, *_args: object) -> None:
        self._follow = False

    def _follow_time(self, first: float, last: float) -> None:
        """Keep the line inside a window with room on the right; move the window only when the line gets there."""
        if not self._follow:
            return
        window = self._x_window
        if window is None or last > window[1] or first < window[0]:
            span = max(last - first, 60.0)
            window = self._x_window = (first, last + span * 0.25)
            self.price_plot.setXRange(*window, padding=0)

    def set_fills(self, fills: list[Fill]) -> None:
        """Executions to mark (all instruments; the chart shows the selected one's)."""
        self.fills = fills
        self.redraw()

    def redraw(self) -> None:
        """Coalesced redraw (called on a timer and on selection); does nothing when nothing changed, so an idle or
        unchanged chart costs no repaint."""
        history = self.histories.by_token.get(self.token) if self.token else None
        state = (self.token, len(history) if history else 0, history.last if history else None,
                 len(self.fills), len(self.mtm.points), self.mtm.points[-1] if self.mtm.points else None)
        if state == self._drawn:
            return
        self._drawn = state
        if history is not None and len(history):
            # copies (a memcpy each): a view would pin the arrays and stop them growing
            xs = np.frombuffer(history.times, dtype=np.float64).copy()
            ys = np.frombuffer(history.prices, dtype=np.int64) / 100
            self.price_curve.setData(xs, ys)
            self._follow_time(history.times[0], history.times[-1])
        else:
            self.price_curve.setData([], [])
        mine = [f for f in self.fills if f.token == self.token]
        self.buys.setData([f.at for f in mine if f.side is Side.BUY], [f.price / 100 for f in mine
                                                                        if f.side is Side.BUY])
        self.sells.setData([f.at for f in mine if f.side is Side.SELL], [f.price / 100 for f in mine
                                                                          if f.side is Side.SELL])
        points = self.mtm.points
        self.mtm_plot.setVisible(bool(points))  # an empty P&L plot has nothing to say before the first fill
        if points:
            self.mtm_curve.setData([t for t, _ in points], [v / 100 for _, v in points])
            last = points[-1][1]
            self.mtm_curve.setPen(pg.mkPen(theme.UP if last >= 0 else theme.DOWN, width=2))
            m = self.mtm
            assert m.high is not None and m.low is not None
            drawdown = (f"max drawdown {format_rupees(m.drawdown)} ({_clock(m.drawdown_from.at)}→"
                        f"{_clock(m.drawdown_to.at)})" if m.drawdown and m.drawdown_from and m.drawdown_to
                        else "no drawdown")
            self.mtm_label.setText(
                f"Day P&L <b>{format_rupees(last, sign=True)}</b> · max {format_rupees(m.high.value, sign=True)} at "
                f"{_clock(m.high.at)} · min {format_rupees(m.low.value, sign=True)} at {_clock(m.low.at)} · {drawdown}")
