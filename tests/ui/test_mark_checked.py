"""Issue 17 item 5 on screen: an order left Unknown by an earlier run is marked as checked from the order book's
context menu, with real clicks and typing; the book shows it as the trader's statement and positions follow."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.store.journal import Journal
from airalgo_desktop.ui.orderbook import EXEC, MESSAGE, STATUS, MarkCheckedDialog
from tests.ui.conftest import app_args, running_app, wait_until


def test_mark_an_unknown_order_as_executed_from_the_order_book(qtbot, qloop, paths) -> None:
    journal = Journal.open(paths.data)  # an earlier run sent this and died before the answer
    journal.record_sent(OrderRecord("EARLIER-1", OrderRequest("2885", Side.BUY, OrderKind.MARKET, 3), "RELIANCE",
                                    now_ist()))
    journal.close()

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window = app.window
            record = app.desk.ledger.records["EARLIER-1"]
            assert record.status is OrderStatus.UNKNOWN
            book = window.order_book
            model = window.order_model
            await wait_until(lambda: book.proxy.rowCount() >= 1)
            row = next(r for r in range(book.proxy.rowCount()) if book.record_at(r).local_id == "EARLIER-1")
            assert book.proxy.index(row, STATUS).data() == "Unknown — not confirmed"
            window.book_dock.raise_()
            rect = book.view.visualRect(book.proxy.index(row, STATUS))
            QTest.mouseClick(book.view.viewport(), Qt.MouseButton.RightButton, pos=rect.center())
            if not isinstance(QApplication.activePopupWidget(), QMenu):
                book.view.customContextMenuRequested.emit(rect.center())
            await wait_until(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
            menu = QApplication.activePopupWidget()
            mark = next(a for a in menu.actions() if a.text() == "Mark as checked…")
            assert mark.isEnabled()
            QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(mark).center())
            await wait_until(lambda: any(d.isVisible() for d in window.findChildren(MarkCheckedDialog)))
            dialog = next(d for d in window.findChildren(MarkCheckedDialog) if d.isVisible())
            save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
            assert not save.isEnabled()  # nothing picked yet
            executed = dialog.findChild(type(dialog.outcomes.buttons()[0]), "checked_executed")
            QTest.mouseClick(executed, Qt.MouseButton.LeftButton, pos=QPoint(8, executed.height() // 2))  # on the label
            dialog.price.setFocus()
            dialog.price.lineEdit().selectAll()
            QTest.keyClicks(dialog.price.lineEdit(), "1241.35")
            QTest.keyClicks(dialog.note, "broker app shows it filled")
            assert save.isEnabled(), (dialog.problem.text(), dialog.price.lineEdit().text(), dialog.outcome())
            QTest.mouseClick(save, Qt.MouseButton.LeftButton)
            await wait_until(lambda: record.checked is not None)
            assert record.status is OrderStatus.UNKNOWN  # still no exchange answer, and never claimed to be one
            assert model.data(model.index(model.records.index(record), STATUS)) == "Checked: Executed"
            assert model.data(model.index(model.records.index(record), EXEC)) == "1,241.35"
            assert "not an exchange answer" in model.data(model.index(model.records.index(record), MESSAGE))
            position = app.desk.pnl.positions.positions["2885"]
            assert position.net == 3 and position.buy_value == 3 * 124_135
            await wait_until(lambda: window.positions_model.rowCount() >= 1)

    qloop.run_until_complete(scenario())
