"""At 1280×800 (the default layout) the order book shows each order's status and the positions table each
position's symbol and P&L without scrolling sideways: they were cut to "Pendin", "RELIA…" and "-1"."""

from __future__ import annotations

from PySide6.QtTest import QTest

from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.orderbook import STATUS
from tests.ui.test_watchlist_tabs import make_window


def shown_whole(view, column: int) -> bool:
    header = view.horizontalHeader()
    left = header.sectionViewportPosition(column)
    return left >= 0 and left + header.sectionSize(column) <= view.viewport().width()


def window_at_1280x800(qtbot, settings) -> MainWindow:
    window = make_window(qtbot, settings)
    QTest.qWait(20)  # the first-show dock proportions are applied
    return window


def test_order_status_is_on_screen_in_the_default_layout(qtbot, settings) -> None:
    window = window_at_1280x800(qtbot, settings)
    view = window.order_book.view
    qtbot.waitUntil(lambda: view.viewport().width() > 100)
    assert shown_whole(view, STATUS), (view.viewport().width(), view.horizontalHeader().sectionViewportPosition(STATUS))


def test_position_symbol_and_pnl_are_on_screen_in_the_default_layout(qtbot, settings) -> None:
    from airalgo_desktop.ui.positions import COLUMNS

    window = window_at_1280x800(qtbot, settings)
    window.actions_["positions"].trigger()  # F5: Positions in front
    view = window.positions_panel.view
    qtbot.waitUntil(lambda: view.isVisible() and view.viewport().width() > 100)
    for name in ("Symbol", "Net qty", "LTP", "P&L"):
        assert shown_whole(view, COLUMNS.index(name)), (name, view.viewport().width())
    option = "NIFTY 26 NOV 23500 CE"  # an option's label (issue 24's form) is not cut to "NIFT…"
    assert view.columnWidth(0) >= view.fontMetrics().horizontalAdvance(option) + 8
