"""Issue 17 items 2 and 3: watchlist tabs (the "+" button, rename / delete / reorder from the tab's context menu
and from the menu bar) and the selected row surviving a restart, driven with real clicks and keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMenu, QMessageBox

from airalgo_desktop.domain.orders import Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.main_window import MainWindow
from tests.ui.conftest import app_args, running_app, wait_until
from tests.ui.test_app import joined


def make_window(qtbot, settings) -> MainWindow:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def answer_name(qtbot, parent, name: str) -> None:
    """Type ``name`` into the open name dialog and press Enter."""
    qtbot.waitUntil(lambda: any(d.isVisible() for d in parent.findChildren(QInputDialog)))
    dialog = next(d for d in parent.findChildren(QInputDialog) if d.isVisible())
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    QTest.keyClicks(edit, name)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def tab_menu(qtbot, window: MainWindow, index: int) -> QMenu:
    """Right-click tab ``index``; the context menu that opens."""
    bar = window.watchlist.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.RightButton, pos=bar.tabRect(index).center())
    if not isinstance(QApplication.activePopupWidget(), QMenu):  # platforms that open it on press, not click
        bar.customContextMenuRequested.emit(bar.tabRect(index).center())
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    return QApplication.activePopupWidget()


def click_item(menu: QMenu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text() == text)
    assert action.isEnabled(), text
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def names(window: MainWindow) -> list[str]:
    tabs = window.watchlist.tabs
    return [tabs.tabText(i) for i in range(tabs.count())]


def test_plus_button_adds_a_named_watchlist(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    assert names(window) == ["NIFTY 50", "Watchlist 2"]
    plus = window.watchlist.tabs.cornerWidget(Qt.Corner.TopRightCorner)
    QTest.mouseClick(plus, Qt.MouseButton.LeftButton)
    answer_name(qtbot, window, "Banks")
    assert names(window) == ["NIFTY 50", "Watchlist 2", "Banks"]
    assert window.watchlist.tabs.currentIndex() == 2
    assert [w.name for w in Prefs(settings).watchlists()] == ["NIFTY 50", "Watchlist 2", "Banks"]


def test_tab_context_menu_renames_reorders_and_deletes(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    click_item(tab_menu(qtbot, window, 1), "Rename…")
    answer_name(qtbot, window, "Options")
    assert names(window) == ["NIFTY 50", "Options"]
    click_item(tab_menu(qtbot, window, 1), "Move left")
    assert names(window) == ["Options", "NIFTY 50"]
    assert [w.name for w in Prefs(settings).watchlists()] == ["Options", "NIFTY 50"]  # the order is kept
    # deleting an empty list needs no question
    click_item(tab_menu(qtbot, window, 0), "Delete…")
    assert names(window) == ["NIFTY 50"]
    # the last list cannot be deleted
    menu = tab_menu(qtbot, window, 0)
    assert not next(a for a in menu.actions() if a.text() == "Delete…").isEnabled()
    menu.close()


def test_deleting_a_list_with_instruments_asks_first(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    click_item(tab_menu(qtbot, window, 0), "Delete…")
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "NIFTY 50" in box.text() and "51 instruments" in box.text()
    QTest.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert names(window) == ["NIFTY 50", "Watchlist 2"]  # Cancel keeps it
    click_item(tab_menu(qtbot, window, 0), "Delete…")
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    QTest.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert names(window) == ["Watchlist 2"]


def test_the_same_actions_are_in_the_menu_bar(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    actions = window.actions_
    trade = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Trade")
    tabs_menu = next(a.menu() for a in trade.actions() if a.menu() is not None)
    assert {a.text() for a in tabs_menu.actions()} >= {"Re&name watchlist…", "De&lete watchlist…",
                                                       "Move watchlist &left", "Move watchlist righ&t"}
    window.watchlist.tabs.setCurrentIndex(1)
    actions["watchlist_left"].trigger()
    assert names(window) == ["Watchlist 2", "NIFTY 50"]
    actions["rename_watchlist"].trigger()
    answer_name(qtbot, window, "Scratch")
    assert names(window) == ["Scratch", "NIFTY 50"]
    actions["delete_watchlist"].trigger()  # empty: no question
    assert names(window) == ["NIFTY 50"]


def test_restart_restores_the_selected_row_of_the_current_tab(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    panel = window.watchlist
    view = panel.current_view()
    token = view.watchlist().tokens[40]  # far down the list: not the first row, not on screen at first
    view.setFocus()
    view.selectRow(40)
    assert window.instrument_panel.token == token
    window.close()  # saves the layout and the watchlists
    again = make_window(qtbot, settings)
    again_view = again.watchlist.current_view()
    assert again.watchlist.current_token() == token
    assert again.instrument_panel.token == token  # the instrument shown is the selected row …
    qtbot.waitUntil(lambda: again_view.viewport().rect().contains(again_view.visualRect(again_view.currentIndex())))
    # … and that row is on screen


def test_an_empty_tab_shows_no_instrument(qtbot, settings) -> None:
    window = make_window(qtbot, settings)
    window.watchlist.tabs.setCurrentIndex(1)  # "Watchlist 2" is empty
    assert window.instrument_panel.token in (None, "")
    assert window.instrument_panel.ltp.text() == ""
    window.watchlist.tabs.setCurrentIndex(0)
    assert window.instrument_panel.token == window.watchlist.current_token() is not None


def test_after_restart_f1_trades_the_row_on_screen(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            view = app.window.watchlist.current_view()
            view.setFocus()
            view.selectRow(30)
            chosen = view.current_token()
        async with running_app(app_args("--demo"), paths) as app:
            window, ticket = app.window, app.ticket
            await wait_until(lambda: joined(app) and app.desk.store.ltp(chosen))
            assert window.instrument_panel.token == chosen
            window.activateWindow()
            await wait_until(lambda: QApplication.activeWindow() is window)
            view = window.watchlist.current_view()
            QTest.keyClick(view, Qt.Key.Key_F1)
            await wait_until(lambda: ticket.isVisible())
            assert ticket.side is Side.BUY and ticket.instrument.token == chosen
            assert "waiting" not in ticket.ltp_label.text()
            await wait_until(lambda: view.viewport().rect().contains(view.visualRect(view.currentIndex())))

    qloop.run_until_complete(scenario())
