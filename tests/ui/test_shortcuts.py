"""Issue 17 item 4: one shortcut → one action in every focus state. Real key events into the running app; a
recorder sees which action each key reaches (and swallows it, so walking Ctrl+Q or F12 has no effect)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from airalgo_desktop.domain.orders import Side
from tests.ui.conftest import app_args, running_app, wait_until
from tests.ui.test_app import joined


class ShortcutRecorder(QObject):
    """Application event filter: remembers every shortcut event (receiver, key, ambiguous) and swallows it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, bool]] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut:
            name = obj.objectName() or (obj.text() if isinstance(obj, QAction) else type(obj).__name__)
            self.seen.append((name, event.key().toString(), event.isAmbiguous()))
            return True
        return False


def registered_keys(*roots: QWidget) -> set[str]:
    """Every key sequence of every action and shortcut object under ``roots`` (menus, registry, widgets)."""
    keys: set[str] = set()
    for root in roots:
        for action in root.findChildren(QAction):
            keys.update(s.toString() for s in action.shortcuts() if not s.isEmpty())
        for shortcut in root.findChildren(QShortcut):
            keys.update(s.toString() for s in shortcut.keys() if not s.isEmpty())  # noqa: SIM118 - a method
    return keys


def walk(recorder: ShortcutRecorder, keys: set[str]) -> dict[str, list[tuple[str, str, bool]]]:
    """Press every key at the focus widget; what reached which action."""
    out = {}
    for key in sorted(keys):
        recorder.seen.clear()
        QTest.keySequence(QApplication.focusWidget(), QKeySequence(key))
        out[key] = list(recorder.seen)
    return out


def test_every_registered_shortcut_is_unambiguous_with_the_ticket_open_and_closed(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window, ticket = app.window, app.ticket
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            keys = registered_keys(window, ticket)
            assert {"F1", "F2", "F3", "F5", "Ctrl+F"} <= keys
            window.activateWindow()
            view = window.watchlist.current_view()
            view.setFocus()
            view.selectRow(0)
            await wait_until(lambda: QApplication.activeWindow() is window)
            recorder = ShortcutRecorder()
            app_instance = QApplication.instance()
            app_instance.installEventFilter(recorder)
            try:
                closed = walk(recorder, keys)
                others = {}
                for name, widget in (("search box", window.watchlist.search), ("order book", window.order_book.view)):
                    widget.setFocus()
                    others[name] = walk(recorder, keys)
            finally:
                app_instance.removeEventFilter(recorder)
            view.setFocus()
            QTest.keyClick(view, QKeySequence("F1")[0].key())  # the real F1: a buy ticket opens
            await wait_until(lambda: ticket.isVisible() and QApplication.activeWindow() is ticket)
            assert ticket.side is Side.BUY
            app_instance.installEventFilter(recorder)
            try:
                opened = walk(recorder, keys)
            finally:
                app_instance.removeEventFilter(recorder)
            for state, result in (("ticket closed", closed), ("ticket open", opened), *others.items()):
                for key, hits in result.items():
                    assert len(hits) <= 1 and not any(ambiguous for _n, _k, ambiguous in hits), (state, key, hits)
            assert closed["F1"][0][0] == "action_buy" and closed["F3"][0][0] == "action_order_book"
            assert opened["F1"] == [] and opened["F2"] == []  # inside the ticket they are the ticket's keys

    qloop.run_until_complete(scenario())


def test_f1_f2_inside_the_ticket_switch_side(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window, ticket = app.window, app.ticket
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            window.activateWindow()
            view = window.watchlist.current_view()
            view.setFocus()
            view.selectRow(0)
            QTest.keyClick(view, QKeySequence("F2")[0].key())
            await wait_until(lambda: ticket.isVisible() and QApplication.activeWindow() is ticket)
            assert ticket.side is Side.SELL
            focus = QApplication.focusWidget()
            assert focus is not None and ticket.isAncestorOf(focus)  # the quantity field
            QTest.keyClick(focus, QKeySequence("F1")[0].key())
            assert ticket.side is Side.BUY and ticket.buy_button.isChecked() and "BUY" in ticket.header.text()
            QTest.keyClick(QApplication.focusWidget(), QKeySequence("F2")[0].key())
            assert ticket.side is Side.SELL and "SELL" in ticket.header.text()
            ticket.confirm_box.setChecked(True)
            QTest.keyClick(QApplication.focusWidget(), QKeySequence("Return")[0].key())  # the confirmation step
            assert ticket.pages.currentIndex() == 1
            QTest.keyClick(QApplication.focusWidget(), QKeySequence("F1")[0].key())  # never changes what is confirmed
            assert ticket.side is Side.SELL and ticket.pages.currentIndex() == 1

    qloop.run_until_complete(scenario())


def test_f3_brings_the_order_book_in_front_of_positions(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window = app.window
            window.activateWindow()
            await wait_until(lambda: QApplication.activeWindow() is window)
            view = window.watchlist.current_view()
            view.setFocus()
            QTest.keyClick(view, QKeySequence("F5")[0].key())
            await wait_until(lambda: not window.positions_dock.visibleRegion().isEmpty())
            assert window.book_dock.visibleRegion().isEmpty()  # tabbed behind Positions
            QTest.keyClick(QApplication.focusWidget(), QKeySequence("F3")[0].key())
            await wait_until(lambda: not window.book_dock.visibleRegion().isEmpty())
            assert window.positions_dock.visibleRegion().isEmpty()
            assert window.order_book.view.hasFocus()

    qloop.run_until_complete(scenario())
