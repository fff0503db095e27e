"""Themes and charts (issue 24 items 4 and 5): every text colour of both themes and of the colour-blind-safe variant
at a WCAG contrast of 4.5:1 or more, up/down told apart under deuteranopia, candles hollow up and filled down, a
theme switch reaching every plot live, the payoff's axes in grouped rupees and its labels, like the chart's order
labels, never over one another and inside the plot."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from airalgo_desktop.domain.bars import Bars
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.ui import theme
from airalgo_desktop.ui.chart import ChartView
from airalgo_desktop.ui.payoff import legs_text, stagger
from airalgo_desktop.ui.theme import ThemeChoice, contrast_ratio
from airalgo_desktop.ui.timeaxis import RupeeAxis
from tests.ui.conftest import app_args, running_app, wait_until
from tests.ui.test_chart import MONDAY, FakeSource, week_of_bars

VARIANTS = [(ThemeChoice.LIGHT, False), (ThemeChoice.DARK, False), (ThemeChoice.LIGHT, True),
            (ThemeChoice.DARK, True)]
WCAG_AA = 4.5


@pytest.fixture
def restore_theme(qapp):
    yield qapp
    theme.apply_theme(qapp, ThemeChoice.LIGHT, False)


@pytest.mark.parametrize(("choice", "colour_blind"), VARIANTS)
def test_every_text_colour_reads_at_4_5_to_1(restore_theme, choice: ThemeChoice, colour_blind: bool) -> None:
    app = restore_theme
    dark = theme.apply_theme(app, choice, colour_blind)
    palette = app.palette()
    role = QPalette.ColorRole
    backgrounds = {"window": palette.color(role.Window), "base": palette.color(role.Base),
                   "alternate rows": palette.color(role.AlternateBase), "chain ATM row": theme.ATM_BRUSH.color(),
                   "chain strike": theme.STRIKE_BRUSH.color()}
    colours = theme.colours_for(dark, colour_blind)
    backgrounds["chain ITM"] = QColor(colours.itm)
    backgrounds["chain ITM hatch"] = theme.hatch_line(colours, dark)
    texts = {"text": palette.color(role.Text), "window text (filter radios, labels)": palette.color(role.WindowText),
             "up (green P&L)": theme.UP, "down (red P&L)": theme.DOWN, "muted grey": theme.MUTED,
             "buy side": theme.BUY_INK, "sell side": theme.SELL_INK,
             **{f"status {name}": color for name, color in theme.STATUS_COLORS.items()}}
    low = [f"{t} on {b}: {contrast_ratio(tc, bc):.2f}" for t, tc in texts.items() for b, bc in backgrounds.items()
           if contrast_ratio(tc, bc) < WCAG_AA]
    placeholder = contrast_ratio(palette.color(role.PlaceholderText), palette.color(role.Base))
    if placeholder < WCAG_AA:
        low.append(f"placeholder on base: {placeholder:.2f}")
    white = QColor("white")
    low += [f"white on {name}: {contrast_ratio(white, fill):.2f}" for name, fill in
            (("Buy", theme.BUY), ("Sell", theme.SELL)) if contrast_ratio(white, fill) < WCAG_AA]
    background, ink = theme.plot_colours()
    if contrast_ratio(ink, background) < WCAG_AA:
        low.append(f"plot ink: {contrast_ratio(ink, background):.2f}")
    bg, fg, _border = (QColor(c) for c in theme.disabled_button_colors())
    if contrast_ratio(fg, bg) < WCAG_AA:
        low.append(f"disabled Send: {contrast_ratio(fg, bg):.2f}")
    assert not low, "\n".join(low)


def _deuteranope(color: QColor) -> np.ndarray:
    """What a deuteranope sees (Machado, Oliveira and Fernandes 2009, severity 1), as sRGB 0…255."""
    rgb = np.array([color.redF(), color.greenF(), color.blueF()])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                             [-0.011820, 0.042940, 0.968881]]) @ linear, 0, 1)
    return 255 * np.where(seen <= 0.0031308, seen * 12.92, 1.055 * seen ** (1 / 2.4) - 0.055)


@pytest.mark.parametrize("choice", [ThemeChoice.LIGHT, ThemeChoice.DARK])
def test_the_colour_blind_variant_keeps_up_and_down_apart_under_deuteranopia(restore_theme, choice) -> None:
    theme.apply_theme(restore_theme, choice, False)
    usual = float(np.linalg.norm(_deuteranope(theme.UP) - _deuteranope(theme.DOWN)))
    theme.apply_theme(restore_theme, choice, True)
    safe = float(np.linalg.norm(_deuteranope(theme.UP) - _deuteranope(theme.DOWN)))
    assert safe > 2 * usual and safe > 100, (usual, safe)


def shown_chart(qtbot, bars: Bars, width: int, height: int) -> ChartView:
    """A chart of RELIANCE (token 2885) over ``bars``, on screen at ``width`` × ``height``."""
    view = ChartView(FakeSource({"2885": bars}), load_sample())
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    view.set_token("2885")
    return view


def _two_candles() -> Bars:
    """A tall up bar then a tall down bar."""
    times = np.array([MONDAY, MONDAY + 60], dtype=np.int64)
    open_, close = np.array([100_000, 120_000]), np.array([120_000, 100_000])
    high, low = np.array([121_000, 121_000]), np.array([99_000, 99_000])
    volume = np.array([10, 10])
    return Bars(times, open_, high, low, close, volume, close * volume * 1.0)


def _pixel(view: ChartView, image, x: float, y: float) -> QColor:
    scene = view.price_plot.getViewBox().mapViewToScene(QPointF(x, y))
    point = view.canvas.mapTo(view, view.canvas.mapFromScene(scene))
    return image.pixelColor(point.x(), point.y())


def test_candles_are_hollow_up_and_filled_down(qtbot, restore_theme) -> None:
    theme.apply_theme(restore_theme, ThemeChoice.LIGHT, False)
    view = shown_chart(qtbot, _two_candles(), 500, 400)
    view.price_plot.setXRange(-3, 4, padding=0)
    view.price_plot.setYRange(980, 1220, padding=0)
    qtbot.wait(20)
    image = view.grab().toImage()
    background, _ink = theme.plot_colours()
    inside_up, inside_down = _pixel(view, image, 0, 1100), _pixel(view, image, 1, 1100)
    # the up body is empty (no fill, no wick through it); the down body is filled in the down colour
    assert inside_up == background, inside_up.name()
    assert inside_down == theme.DOWN, inside_down.name()
    assert view.candles.brushes[0].style() == Qt.BrushStyle.NoBrush


def _backgrounds(app) -> dict[str, str]:
    plots = {"docked chart": app.window.chart.view.canvas, "Day P&L": app.window.chart.mtm_plot}
    plots.update({f"chart window {i}": w.view.canvas for i, w in enumerate(app.window.chart_windows)})
    # this app's payoff (an earlier test's dialog may still be a top-level widget of the same QApplication)
    if app.commands.payoff_dialog is not None:
        plots["payoff"] = app.commands.payoff_dialog.plot
    return {name: plot.backgroundBrush().color().name() for name, plot in plots.items()}


def test_a_theme_switch_reaches_every_plot_live(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.window.chart is not None and app.desk.store.ltp("2885"))
            app.commands.open_chart("2885")
            app.commands.show_payoff("NIFTY")
            await wait_until(lambda: bool(app.window.chart_windows))
            app.window.set_theme(ThemeChoice.LIGHT)
            light = _backgrounds(app)
            assert len(light) == 4 and set(light.values()) == {"#ffffff"}, light
            app.window.set_theme(ThemeChoice.DARK)
            dark = _backgrounds(app)
            assert set(dark.values()) == {theme.plot_colours()[0].name()} and "#ffffff" not in dark.values(), dark
            candles = app.window.chart.view.candles
            assert candles.pens[0].color() == theme.UP and candles.brushes[1].color() == theme.DOWN
            # the colour-blind variant reaches the chart too, and is remembered
            app.window.set_colour_blind(True)
            assert candles.pens[0].color() == QColor(theme.DARK_CB.up) and app.window.prefs.colour_blind
            app.window.set_colour_blind(False)
            app.window.set_theme(ThemeChoice.LIGHT)

    qloop.run_until_complete(scenario())


def test_payoff_axes_in_grouped_rupees_and_legs_counted_right() -> None:
    pnl, price = RupeeAxis("left", pnl=True), RupeeAxis("bottom")
    assert pnl.tickStrings([150_000.0, -25_000.0, 0.0], 1.0, 25_000.0) == ["+₹1,50,000", "-₹25,000", "₹0"]
    assert price.tickStrings([23_150.0, 123_500.0], 1.0, 50.0) == ["23,150", "1,23,500"]
    assert legs_text(1) == "1 leg" and legs_text(3) == "3 legs"


def test_breakeven_labels_never_overlap(qtbot) -> None:
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(700, 400)
    plot.show()
    plot.setXRange(22_000, 24_500, padding=0)
    plot.setYRange(-1000, 1000, padding=0)
    lines = [pg.InfiniteLine(pos=x, angle=90, label=f"BE {x:,.2f}", labelOpts={"position": 0.06})
             for x in (23_150.0, 23_173.6, 23_190.0, 24_000.0)]
    for line in lines:
        plot.addItem(line)
    qtbot.wait(20)
    before = [line.label.sceneBoundingRect() for line in lines]
    assert before[0].intersects(before[1])  # as they were drawn: "BEE23,1736"
    stagger(lines, [])
    rects = [line.label.sceneBoundingRect() for line in lines]
    pane = plot.getViewBox().sceneBoundingRect()
    for i, a in enumerate(rects):
        assert pane.contains(a), (a, pane)
        assert not any(a.intersects(b) for b in rects[i + 1:]), rects


def test_order_labels_inside_the_pane_and_never_overlapping(qtbot) -> None:
    bars = week_of_bars()
    view = shown_chart(qtbot, bars, 1000, 600)
    top = float(view.price_plot.getViewBox().viewRange()[1][1])
    now = datetime.now(IST)
    high = round(top * 100) - 5  # a resting order 5 paise under the pane's top: its label would be cut above
    orders = [OrderRecord("S1", OrderRequest("2885", Side.SELL, OrderKind.SL, 5, price=int(bars.close[-1]) - 10,
                                             trigger_price=int(bars.close[-1]) - 5), "RELIANCE", now,
                          status=OrderStatus.PENDING),
              OrderRecord("B1", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 50, price=int(bars.close[-1]) - 8),
                          "RELIANCE", now, status=OrderStatus.PENDING),
              OrderRecord("T1", OrderRequest("2885", Side.SELL, OrderKind.LIMIT, 1, price=high), "RELIANCE", now,
                          status=OrderStatus.PENDING)]
    view.set_orders(orders)
    qtbot.wait(20)
    view.markers.place_labels()
    rects = view.markers.label_rects()
    pane = view.price_plot.getViewBox().sceneBoundingRect()
    assert len(rects) == 4
    for i, a in enumerate(rects):
        assert pane.contains(a), (a, pane)
        assert not any(a.intersects(b) for b in rects[i + 1:]), rects


def test_the_price_axis_keeps_its_labels_at_144_dpi(qapp) -> None:
    """A 1.5× font (144 dpi without scaling): the price and volume axes widen together to hold a price label."""
    from PySide6.QtGui import QFontMetrics

    from airalgo_desktop.ui.timeaxis import VolumeAxis

    usual = qapp.font()
    big = qapp.font()
    big.setPointSizeF(usual.pointSizeF() * 1.5)
    qapp.setFont(big)
    try:
        price, volume, pnl = RupeeAxis("right"), VolumeAxis(), RupeeAxis("right", pnl=True)
        need = QFontMetrics(big).horizontalAdvance("1,23,456.50")
        assert price.width() > need and volume.width() == price.width()
        assert pnl.width() > QFontMetrics(big).horizontalAdvance("+₹1,23,456.50")
    finally:
        qapp.setFont(usual)


def test_filter_radios_stay_visible_in_the_dark_theme(qtbot, restore_theme) -> None:
    """Fusion rims a radio in its Window colour darker(140): on the dark window that rim was all but invisible."""
    from PySide6.QtWidgets import QRadioButton

    theme.apply_theme(restore_theme, ThemeChoice.DARK, False)
    window = restore_theme.palette().color(QPalette.ColorRole.Window)
    plain = QRadioButton("Open")
    qtbot.addWidget(plain)
    assert contrast_ratio(plain.palette().color(QPalette.ColorRole.Window).darker(140), window) < 3  # as it was
    radio = QRadioButton("Open")
    qtbot.addWidget(radio)
    theme.clear_indicator(radio)
    assert contrast_ratio(radio.palette().color(QPalette.ColorRole.Window).darker(140), window) >= 3
    theme.apply_theme(restore_theme, ThemeChoice.LIGHT, False)  # and back: the light theme's own rim
    assert radio.palette().color(QPalette.ColorRole.Window) == restore_theme.palette().color(
        QPalette.ColorRole.Window)


def test_payoff_price_axis_labels_do_not_run_together(qapp) -> None:
    """Side by side, a price axis's labels leave their own width between them ("20,60020,800" was drawn)."""
    from PySide6.QtGui import QFontMetrics

    axis = RupeeAxis("bottom")
    step, values = axis.tickValues(20_600.0, 26_000.0, 700.0)[0]
    widest = max(QFontMetrics(qapp.font()).horizontalAdvance(t) for t in axis.tickStrings(values, 1.0, step))
    assert step / (26_000 - 20_600) * 700 > widest + 8


def test_the_previous_close_label_is_not_cut_at_the_top(qtbot) -> None:
    view = shown_chart(qtbot, week_of_bars(), 900, 500)
    line = view.prev_close.value()
    view.price_plot.setYRange(line - 40, line + 0.5, padding=0)  # the line just under the pane's top
    qtbot.wait(20)
    pane = view.price_plot.getViewBox().sceneBoundingRect()
    assert pane.contains(view.prev_close.label.sceneBoundingRect())
