"""Issue 24 item 3: every pane and control reachable without a mouse. Tab / Shift+Tab walk the panes (a table
takes the arrows, Tab leaves it), Ctrl+Tab cycles the docks, F3/F4/F5 put the keyboard in the order book,
watchlist and positions, Esc / Ctrl+W close a chart window, Enter in the shortcuts dialog edits a row and never
restores the defaults, the context menu reads its keys from the registry, and Enter on a search suggestion adds it
without a false "No instrument matches"."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QPushButton, QRadioButton, QToolButton, QWidget

from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.dialogs import ShortcutsDialog
from airalgo_desktop.ui.main_window import MainWindow
from tests.ui.conftest import app_args, running_app, wait_until


def name(widget: QWidget | None) -> str:
    if widget is None:
        return "-"
    label = widget.text() if isinstance(widget, (QPushButton, QToolButton, QRadioButton)) else ""
    return f"{type(widget).__name__}:{widget.objectName()}:{label}"


async def walk(start: QWidget, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier, steps: int = 40) -> list:
    """The widgets the keyboard focus visits from ``start`` pressing ``key`` until it comes back (or ``steps``)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    await asyncio.sleep(0.02)
    seen = [QApplication.focusWidget()]
    for _ in range(steps):
        QTest.keyClick(QApplication.focusWidget(), key, modifiers)
        await asyncio.sleep(0.005)
        focus = QApplication.focusWidget()
        if focus is seen[0]:
            break
        seen.append(focus)
    return seen


def test_tab_shift_tab_and_f_keys_reach_every_pane(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            window = app.window
            await wait_until(lambda: window.chart is not None)
            window.activateWindow()
            view = window.watchlist.current_view()
            forward = await walk(view, Qt.Key.Key_Tab)
            names = [name(w) for w in forward]
            assert forward[1] is not view  # one Tab leaves the table (it does not walk its cells)
            for wanted in (view, window.watchlist.search, window.order_book.view, window.instrument_panel.buy,
                           window.instrument_panel.sell, window.chart.view):
                assert any(w is wanted or wanted.isAncestorOf(w) for w in forward), (wanted, names)
            assert any(isinstance(w, QRadioButton) and w.objectName().startswith("order_filter_") for w in forward)
            assert any(isinstance(w, QToolButton) and w.objectName().startswith("frame_") for w in forward), names
            backward = await walk(view, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
            assert [name(w) for w in backward[1:]] == list(reversed(names[1:])), "Shift+Tab walks back the same way"
            # arrows stay inside the table
            view.setFocus()
            QTest.keyClick(view, Qt.Key.Key_Home)
            QTest.keyClick(view, Qt.Key.Key_Down)
            assert QApplication.focusWidget() is view and view.currentIndex().row() == 1
            # F-keys put the keyboard in the pane they show
            QTest.keyClick(window, Qt.Key.Key_F5)
            assert QApplication.focusWidget() is window.positions_panel.view
            assert window.positions_panel.view.isVisible()
            QTest.keyClick(window, Qt.Key.Key_F3)
            assert QApplication.focusWidget() is window.order_book.view
            QTest.keyClick(window, Qt.Key.Key_F4)
            assert QApplication.focusWidget() is window.watchlist.current_view()
            # F6: a chain, its table with the keyboard; Ctrl+Tab cycles watchlist → order book → positions → chain
            QTest.keyClick(window, Qt.Key.Key_F6)
            await wait_until(lambda: window.chain_docks and window.chain_docks[0].isVisible())
            chain = window.chain_docks[0]
            window.focus_pane(window.watch_dock)
            visited = []
            for _ in range(4):
                QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
                await asyncio.sleep(0.01)
                visited.append(QApplication.focusWidget())
            assert visited == [window.order_book.view, window.positions_panel.view, chain.widget().table,
                               window.watchlist.current_view()]
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab,
                           Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
            assert QApplication.focusWidget() is chain.widget().table
            # F7: a chart window; Esc closes it, and Ctrl+W another
            for key, modifier in ((Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                                  (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)):
                window.activateWindow()  # the desktop gives the window back its activation when a chart closes
                await wait_until(lambda: QApplication.activeWindow() is window)
                window.focus_pane(window.watch_dock)
                QTest.keyClick(window, Qt.Key.Key_F7)
                await wait_until(lambda: window.chart_windows)
                chart = window.chart_windows[-1]
                chart.activateWindow()
                await wait_until(lambda c=chart: QApplication.activeWindow() is c)
                QTest.keyClick(chart.view, key, modifier)
                await wait_until(lambda: not window.chart_windows)

    qloop.run_until_complete(scenario())


def test_shortcuts_dialog_enter_edits_and_never_restores_defaults(qtbot, settings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    actions = window.actions_
    actions.remap("buy", "Ctrl+B")
    dialog = ShortcutsDialog([], window, registry=actions)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not any(b.isDefault() or b.autoDefault() for b in dialog.findChildren(QPushButton))
    row = dialog.names.index("sell")
    dialog.table.setFocus()
    dialog.table.setCurrentCell(row, 1)
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)
    assert actions.key("buy") == "Ctrl+B"  # the other remap survives
    assert dialog.table.cellWidget(row, 1) is not None  # Enter started editing the row
    assert dialog.isVisible()


def test_context_menu_keys_follow_a_remap(qtbot, settings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.actions_.remap("chart_window", "Ctrl+J")
    view = window.watchlist.current_view()
    window.watchlist._context_menu(view, view.visualRect(view.model().index(0, 0)).center())
    menu = next(m for m in view.findChildren(QMenu) if m.isVisible())
    texts = [a.text() for a in menu.actions()]
    menu.close()
    assert "Open chart window (Ctrl+J)" in texts and not any("F7" in t for t in texts), texts


def test_enter_on_a_search_suggestion_adds_it_without_a_false_no_match(qtbot, settings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel = window.watchlist
    panel.tabs.setCurrentIndex(1)  # the empty second list
    search = panel.search
    messages: list[str] = []
    panel.message.connect(messages.append)
    search.setFocus()
    QTest.keyClicks(search, "nifty 23500 ce")  # an option: its suggestion's text is no query that finds it
    popup = panel.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    first = panel._completion_tokens[0]
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.text() == "")
    assert panel.models[1].tokens == [first]
    assert not [m for m in messages if "No instrument matches" in m], messages
