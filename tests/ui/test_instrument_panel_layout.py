"""The instrument panel's details (previous close, lot size, tick size…) are always whole, above the Buy/Sell
buttons, even with a banner showing and no fills: the chart shrinks instead (they were clipped at 1280×800)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from airalgo_desktop.services.barbook import BarBook
from airalgo_desktop.services.mtm import MtmCurve
from airalgo_desktop.ui.chart import CANVAS_MIN
from tests.ui.test_watchlist_tabs import make_window

MASTER_NEEDED = ("No instrument master yet. With a real account the app needs your broker's master (Kite, Upstox, "
                 "Angel One, Dhan or Fyers; a file or its URL) to know which token is which contract — the demo "
                 "sample's tokens would subscribe and order the wrong instruments.")


@pytest.mark.parametrize("book_share", [0.40, 0.9])  # the default order book height; the trader dragged it up
# the first-run window on a 1280×800 screen (80 %, at least 1024×700), on a 1600×1000 one, and full 1600×1000
@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1600, 1000)])
def test_instrument_details_are_whole_with_a_banner_and_the_chart(qtbot, settings, size, book_share) -> None:
    window = make_window(qtbot, settings)
    window.build_chart(BarBook(None), MtmCurve())
    window.resize(*size)
    QTest.qWait(20)  # the first-show dock proportions are applied
    window.resizeDocks([window.book_dock], [int(size[1] * book_share)], Qt.Orientation.Vertical)
    window.banner.show_message(MASTER_NEEDED, "Import instrument master…", window.banner.hide)
    window.instrument_panel.show_token("2885")
    panel = window.instrument_panel
    qtbot.waitUntil(lambda: window.banner.isVisible() and panel.details.isVisible())
    QTest.qWait(20)
    details, buy = panel.details, panel.buy
    assert "Previous close" in details.text() and "Freeze qty" in details.text()
    assert details.height() >= details.sizeHint().height(), (size, details.height(), details.sizeHint().height())
    assert details.geometry().bottom() < buy.geometry().top(), (size, details.geometry(), buy.geometry())
    assert buy.geometry().bottom() <= panel.height(), (size, buy.geometry(), panel.height())  # buttons whole too
    assert panel.height() >= panel.sizeHint().height(), (size, panel.height(), panel.sizeHint().height())
    assert window.height() <= max(size[1], 800)  # the window still fits a 1280×800 screen: nothing grew past it
    chart = window.chart
    assert chart.isVisible() and chart.height() > 0
    assert panel.geometry().bottom() < chart.mapTo(panel.parentWidget(), chart.rect().topLeft()).y()  # no overlap
    window.banner.hide()  # no banner: the chart keeps its usual least height and the order book gives way
    QTest.qWait(20)
    assert chart.view.canvas.height() >= CANVAS_MIN, (size, chart.view.canvas.height())
    assert details.height() >= details.sizeHint().height() and details.geometry().bottom() < buy.geometry().top()
