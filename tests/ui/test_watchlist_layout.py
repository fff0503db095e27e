"""Issue 17 item 8: at 1280×800 the default and the reset layouts show every watchlist column's content — option
rows keep their strike and CE/PE, futures their FUT, numbers are never clipped, the search hint is whole."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtTest import QTest

from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui import watchlist_paint
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.watchlist_model import COLUMNS, SYMBOL

PADDING = 8  # draw_cell_text leaves 4 px each side


def elided_symbol(metrics, text: str, room: int) -> str:
    return metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, room)


def check_every_column_visible(window: MainWindow, derivatives: list) -> None:
    view = window.watchlist.current_view()
    metrics = view.fontMetrics()
    widths = [view.columnWidth(c) for c in range(len(COLUMNS))]
    assert sum(widths) <= view.viewport().width(), (widths, view.viewport().width())  # no column off screen
    assert not view.horizontalScrollBar().isVisible()
    model = view.watchlist()
    store = window.store
    master = window.master
    for token in model.tokens:  # numbers as wide as a day gets them: doubled (an option leg: +100 %), 5 digits
        close = master[token].prev_close or 100_00
        store.apply({token: {"ltp": min(2 * close, 99_999_95), "ltq": 99_999, "ltt": "2026-11-25T06:45:00Z"}})
    model.refresh_all()
    for row in range(model.rowCount()):
        for col in range(1, len(COLUMNS)):
            text = model.cell_texts[row][col]
            assert metrics.horizontalAdvance(text) + PADDING <= widths[col], (COLUMNS[col], text, widths[col])
    for inst in derivatives:
        row = model.tokens.index(inst.token)
        shown = view.displayed_symbol(row)  # as the delegate paints it at this width
        tail = f"{inst.strike // 100} {inst.instrument_type}" if inst.instrument_type in ("CE", "PE") else "FUT"
        assert tail in shown and inst.name in shown, (inst.display, shown)
        assert inst.display in model.data(model.index(row, SYMBOL), Qt.ItemDataRole.ToolTipRole)
    search = window.watchlist.search
    assert search.fontMetrics().horizontalAdvance(search.placeholderText()) < search.width() - 24


def test_default_and_reset_layouts_show_every_column_at_1280x800(qtbot, settings) -> None:
    master = load_sample()
    window = MainWindow(master, MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    options = [i for i in master if i.instrument_type in ("CE", "PE")]
    futures = [i for i in master if i.instrument_type == "FUT"]
    derivatives = options[:3] + futures[:2]
    for inst in derivatives:
        window.watchlist.add_token(inst.token)
    QTest.qWait(20)
    check_every_column_visible(window, derivatives)
    window.watch_dock.resize(200, window.watch_dock.height())  # the trader squeezes it …
    window.resizeDocks([window.watch_dock], [200], Qt.Orientation.Horizontal)
    QTest.qWait(20)
    next(a for a in window.menuBar().actions() if a.text() == "&View").menu()  # View → Reset layout
    window.actions_["reset_layout"].trigger()
    QTest.qWait(20)
    check_every_column_visible(window, derivatives)  # … and Reset layout brings every column back


def render(draw) -> QImage:  # type: ignore[no-untyped-def]
    image = QImage(160, 22, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QColor("black"))
    draw(painter)
    painter.end()
    return image


def test_a_long_symbol_is_painted_elided_in_the_middle(qapp) -> None:
    name = "NIFTY 27 FEB 2025 23500 CE"
    cache = watchlist_paint.TextCache()
    painted = render(lambda p: watchlist_paint.draw_cell_text(p, cache, 0, 0, 110, 22, SYMBOL, name))
    left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    expected = render(lambda p: p.drawText(4, 0, 102, 22, left, elided_symbol(p.fontMetrics(), name, 102)))
    assert elided_symbol(QFontMetrics(QFont()), name, 102).endswith("CE")
    assert painted == expected
