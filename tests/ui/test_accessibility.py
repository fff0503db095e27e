"""Accessibility of the real main window (issue 24 item 4): every visible interactive widget has a name a screen
reader can say — its own accessible name, its text, or a buddy label —, with the option chain, a chart window, the
ticket and the payoff open; the chain's headers say CE/PE."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSlider,
    QTabBar,
    QWidget,
)

from airalgo_desktop.domain.orders import Side
from tests.ui.conftest import app_args, running_app, wait_until

INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QSlider,
               pg.GraphicsView)


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says for ``widget``: Qt's accessible name (its own, else its text), else the text of a
    label whose buddy it is."""
    iface = QAccessible.queryAccessibleInterface(widget)
    name = iface.text(QAccessible.Text.Name).strip() if iface is not None else ""
    if name:
        return name
    top = widget.window()
    for label in top.findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return label.text().strip()
    return ""


def unnamed_widgets() -> tuple[int, list[str]]:
    """(how many visible interactive widgets, the ones without a name) over every visible top-level window. Qt's
    own parts of a named widget (a spin box's line edit, a scroll area's bars, "qt_…") are said through it."""
    count, missing = 0, []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for widget in [top, *top.findChildren(QWidget)]:
            if not isinstance(widget, INTERACTIVE) or not widget.isVisible():
                continue
            if widget.objectName().startswith("qt_"):
                continue
            if isinstance(widget, QHeaderView) and not widget.isVisible():
                continue
            count += 1
            if not spoken_name(widget):
                parent = widget.parentWidget()
                missing.append(f"{type(widget).__name__} '{widget.objectName()}' in "
                               f"{type(parent).__name__ if parent else '-'} '{parent.objectName() if parent else ''}'")
    return count, missing


def test_every_visible_control_has_a_name(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.desk.store.ltp("2885"))
            dock = app.commands.open_chain("26000")
            assert dock is not None
            app.commands.open_chart("2885")
            await wait_until(lambda: bool(app.window.chart_windows))
            app.commands.open_ticket("2885", Side.BUY)
            await wait_until(lambda: app.ticket.isVisible())
            app.commands.show_payoff("NIFTY")
            count, missing = unnamed_widgets()
            assert count >= 40  # the walk saw the window, the chain, the chart window and the ticket
            assert not missing, "\n".join(missing)
            # the chain's headers say which side they belong to
            model = dock.panel.model
            sc = model.strike_column
            said = [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole)
                    for c in range(model.columnCount())]
            assert said[sc - 1 - model._left[::-1].index("LTP")] == "Call LTP"
            assert "Put IV" in said and "Call IV" in said and said[sc] == "Strike"
            # a cell says its meaning in words (the ATM tint, the ITM hatch)
            atm = model.atm_row()
            assert atm is not None
            assert model.data(model.index(atm, sc), Qt.ItemDataRole.AccessibleTextRole).endswith("at the money")
            assert model.data(model.index(atm, sc), Qt.ItemDataRole.DisplayRole).startswith("▸")

    qloop.run_until_complete(scenario())


def test_order_book_headers_hold_their_titles_at_144_dpi(qtbot, qapp) -> None:
    """144 dpi without scaling draws a 9 pt font 1.5× as many pixels tall: the same as a 13.5 pt font at 96 dpi."""
    from PySide6.QtWidgets import QStyle

    from airalgo_desktop.ui.orderbook import OrderBookModel, OrderBookPanel

    usual = qapp.font()
    big = qapp.font()
    big.setPointSizeF(usual.pointSizeF() * 1.5)
    qapp.setFont(big)
    try:
        model = OrderBookModel()
        panel = OrderBookPanel(model)
        qtbot.addWidget(panel)
        header = panel.view.horizontalHeader()
        margin = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin)
        clipped = []
        for col in range(model.columnCount()):
            title = str(model.headerData(col, Qt.Orientation.Horizontal))
            if header.sectionSize(col) < header.fontMetrics().horizontalAdvance(title) + margin:
                clipped.append(f"{title}: {header.sectionSize(col)} px")
        assert not clipped, clipped
        rows = panel.view.verticalHeader().defaultSectionSize()
        assert rows >= panel.view.fontMetrics().height() + 4
    finally:
        qapp.setFont(usual)
