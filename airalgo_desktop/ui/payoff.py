"""Payoff graph of the open option and future positions of one underlying: P&L at expiry (exact, in paisa) and
today (Black-76 at each option's current IV) across a range of the underlying, with breakevens, max profit/loss
where bounded, and the current price marked. Opened from Trade → Payoff graph… or a position's context menu;
redrawn every second while open (prices and IVs move)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..desk import TradingDesk
from ..domain.money import format_rupees
from ..domain.nsetime import now_ist
from ..domain.options import PayoffSummary, payoff_at_expiry, payoff_summary, payoff_today, price_grid
from ..services.chain import payoff_reference
from . import theme
from .chart_items import paint_plots
from .timeaxis import RupeeAxis
from .widgets import add_close_keys, fit_into_screen

REDRAW_MS = 1000
LABEL_LEVELS = (0.06, 0.16, 0.26, 0.36, 0.46)  # heights (fractions of the pane) a breakeven label may take
LABEL_GAP = 4.0  # px kept between two labels


def legs_text(n: int) -> str:
    """``1 leg``, ``3 legs``."""
    return f"{n} leg" if n == 1 else f"{n} legs"


def stagger(lines: list[pg.InfiniteLine], taken: list[QRectF], levels: tuple[float, ...] = LABEL_LEVELS) -> None:
    """Give each vertical line's label the lowest of ``levels`` where it overlaps no label placed before it (nor the
    ``taken`` rectangles, scene coordinates): two breakevens a few points apart read "BE 23,150  BE 23,173" one above
    the other, never "BEE23,1736"."""
    placed = list(taken)
    for line in sorted(lines, key=lambda item: item.value()):
        label = line.label
        for level in levels:
            label.setPosition(level)
            rect = label.sceneBoundingRect().adjusted(-LABEL_GAP, -LABEL_GAP, LABEL_GAP, LABEL_GAP)
            if not any(rect.intersects(other) for other in placed):
                break
        placed.append(label.sceneBoundingRect())


def _rupees(paisa: int | None) -> str:
    return "unlimited" if paisa is None else format_rupees(paisa, sign=True)


def extremes_text(summary: PayoffSummary) -> str:
    """The at-expiry extremes in words that never call a profit a loss: a book that ends in profit at every price
    shows its worst case as "min profit", one that loses at every price its best case as "min loss"."""
    best, worst = summary.max_profit, summary.max_loss
    if worst is not None and worst >= 0:
        return f"no loss at any price: min profit <b>{_rupees(worst)}</b> · max profit <b>{_rupees(best)}</b>"
    if best is not None and best <= 0:
        return f"no profit at any price: max loss <b>{_rupees(worst)}</b> · min loss <b>{_rupees(best)}</b>"
    return f"max profit <b>{_rupees(best)}</b> · max loss <b>{_rupees(worst)}</b>"


class PayoffDialog(QDialog):
    """The payoff chart of one underlying's F&O positions (non-modal)."""

    def __init__(self, desk: TradingDesk, underlying: str, held: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payoff_dialog")
        self.desk = desk
        self.underlying = underlying
        self.setModal(False)
        self.resize(820, 520)
        self.picker = QComboBox(self)
        self.picker.addItems(held or [underlying])
        self.picker.setCurrentText(underlying)
        self.picker.currentTextChanged.connect(self._pick)
        self.summary = QLabel(self)
        self.summary.setObjectName("payoff_summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.plot = pg.PlotWidget(axisItems={"left": RupeeAxis("left", pnl=True), "bottom": RupeeAxis("bottom")})
        self.plot.setObjectName("payoff_plot")
        self.plot.setAccessibleName("Payoff chart")
        self.plot.setAccessibleDescription("P&L at expiry (solid line) and today (dashed) across prices of the "
                                           "underlying; the text above the chart says the same figures in words.")
        self.picker.setAccessibleName("Payoff underlying")
        for name in ("left", "bottom"):  # rupees as the app writes them, never "(x0.001)" or "(x1e+05)"
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLabel("left", "P&L (₹)")
        self.plot.setLabel("bottom", f"{underlying} at")
        self.legend = self.plot.addLegend(offset=(10, 10))
        # the two curves differ by dash as well as colour
        self.expiry_curve = self.plot.plot(name="At expiry")
        self.today_curve = self.plot.plot(name="Today (Black-76 at current IVs)")
        self.zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen((128, 128, 128), width=1))
        self.now_line = pg.InfiniteLine(angle=90, label="now {value:,.0f}", labelOpts={"position": 0.92})
        self.plot.addItem(self.zero)
        self.plot.addItem(self.now_line)
        self.breakeven_items: list[pg.InfiniteLine] = []
        paint_plots(self.plot, (self.plot.getPlotItem(),))
        self.restyle()
        theme.follow(self, self.restyle)
        self.plot.getViewBox().sigRangeChanged.connect(self.place_labels)
        self.plot.getViewBox().sigResized.connect(self.place_labels)
        self.now_pnl: int | None = None  # the "P&L now" shown (paisa), None without open legs
        top = QHBoxLayout()
        top.addWidget(QLabel("Underlying", self))
        top.addWidget(self.picker)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        add_close_keys(self)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self.redraw()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        fit_into_screen(self)  # 820×520 on a small screen: shrunk and moved onto it

    def restyle(self) -> None:
        """The current theme's colours on the curves, lines, labels and legend (live on a theme switch)."""
        background, ink = theme.plot_colours()
        self.expiry_curve.setPen(pg.mkPen(theme.BUY_INK, width=2))
        self.today_curve.setPen(pg.mkPen(theme.SELL_INK, width=2, style=Qt.PenStyle.DashLine))
        self.now_line.setPen(pg.mkPen(theme.UP, width=1.5))
        fill = QColor(background)
        fill.setAlpha(210)
        for line in [self.now_line, *self.breakeven_items]:
            line.label.setColor(ink)
            line.label.fill = pg.mkBrush(fill)
            line.label.update()
        self.legend.setLabelTextColor(ink)
        self.legend.setBrush(pg.mkBrush(fill))
        for _sample, label in self.legend.items:  # labels already made keep their colour: set it again
            label.setText(label.text, color=ink)

    def place_labels(self, *_args: object) -> None:
        """Breakeven labels at heights where none overlaps another or the "now" label."""
        if self.breakeven_items:
            stagger(self.breakeven_items, [self.now_line.label.sceneBoundingRect()])

    def _pick(self, name: str) -> None:
        if name:
            self.underlying = name
            self.plot.setLabel("bottom", f"{name} at")
            self.redraw()

    def redraw(self) -> None:
        """Recompute both curves from the positions and the latest prices."""
        now = now_ist()
        legs = self.desk.options.payoff(self.underlying, now)
        self.setWindowTitle(f"Payoff — {self.underlying}")
        open_legs = [leg for leg in legs if leg.quantity]
        if not open_legs:
            booked = sum(leg.cash for leg in legs)
            self.summary.setText(f"No open option or future positions in {self.underlying}."
                                 + (f" Booked P&L {_rupees(booked)}." if legs else ""))
            self.expiry_curve.setData([], [])
            self.today_curve.setData([], [])
            self.now_pnl = None
            return
        centre, forward = payoff_reference(legs, self.desk.options.catalog, self.desk.store, self.underlying, now,
                                           self.desk.subscriptions.tokens)
        strikes = [leg.strike for leg in open_legs if leg.kind in ("CE", "PE")]
        grid = price_grid(centre, strikes)
        at_expiry = payoff_at_expiry(legs, grid)
        # each leg at its own expiry's forward, moved with the underlying, anchored at its LTP: at the centre this is
        # the positions tab's total for these rows, to the paisa
        today = payoff_today(legs, grid, now, reference=centre)
        xs = [p / 100 for p in grid]
        self.expiry_curve.setData(xs, [v / 100 for v in at_expiry])
        self.today_curve.setData(xs, [v / 100 for v in today])
        self.now_line.setValue(centre / 100)
        summary = payoff_summary(legs)
        for item in self.breakeven_items:
            self.plot.removeItem(item)
        self.breakeven_items = []
        for be in summary.breakevens:
            line = pg.InfiniteLine(pos=be / 100, angle=90, pen=pg.mkPen((150, 150, 150), width=1,
                                                                        style=Qt.PenStyle.DotLine),
                                   label=f"BE {format_rupees(be, symbol=False)}",
                                   labelOpts={"position": LABEL_LEVELS[0]})
            self.plot.addItem(line)
            self.breakeven_items.append(line)
        self.restyle()
        self.place_labels()
        now_pnl = payoff_today(legs, [centre], now, reference=centre)[0]
        breakevens = ", ".join(format_rupees(b, symbol=False) for b in summary.breakevens) or "none"
        expiries = sorted({leg.expiry for leg in open_legs if leg.expiry is not None})
        mixed = " (legs of later expiries valued at their own settlement)" if len(expiries) > 1 else ""
        booked = sum(leg.cash for leg in legs if not leg.quantity)
        self.summary.setText(
            f"<b>{self.underlying}</b> {legs_text(len(open_legs))} · now {format_rupees(centre, symbol=False)}"
            f"{' (' + forward.source + ')' if forward else ''} · P&L now {_rupees(now_pnl)}"
            f"{f' (booked {_rupees(booked)})' if booked else ''}<br>"
            f"At expiry{mixed}: {extremes_text(summary)} · breakevens {breakevens}")
        self.now_pnl = now_pnl

    def done(self, result: int) -> None:
        self.timer.stop()
        super().done(result)
