"""Help → Keyboard shortcuts changes a shortcut: double-click its cell, press the new key (real key events). The
action, its menu entry and the Buy button follow; a key another action already has is refused with a message; the
change is saved; Restore defaults puts F1 back. (The dialog listed the keys but nothing could change them.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QKeySequenceEdit

from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.dialogs import ShortcutsDialog
from airalgo_desktop.ui.main_window import MainWindow


def press_new_key(qtbot, dialog: ShortcutsDialog, action: str, key: Qt.Key) -> None:
    table = dialog.table
    row = dialog.names.index(action)
    cell = table.visualItemRect(table.item(row, 1)).center()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a real double-click: press first
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    edit = table.cellWidget(row, 1)
    assert isinstance(edit, QKeySequenceEdit)
    QTest.keyClick(edit, key)
    qtbot.waitUntil(lambda: table.cellWidget(row, 1) is None)  # recording ended with the one key


def test_a_shortcut_is_changed_in_the_shortcuts_dialog(qtbot, settings) -> None:
    prefs = Prefs(settings)
    window = MainWindow(load_sample(), MarketStore(), prefs)
    qtbot.addWidget(window)
    registry = window.actions_
    dialog = ShortcutsDialog(registry.table(), window, registry=registry)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert "Guards" in [dialog.table.item(r, 0).text() for r in range(len(dialog.names))]  # keyless ones too

    press_new_key(qtbot, dialog, "buy", Qt.Key.Key_F8)
    assert registry.key("buy") == "F8" and dialog.table.item(dialog.names.index("buy"), 1).text() == "F8"
    assert window.instrument_panel.buy.text() == "Buy  F8"
    assert prefs.shortcut("buy") == "F8"  # saved: the next start has it

    press_new_key(qtbot, dialog, "buy", Qt.Key.Key_F2)  # F2 is Sell's
    assert registry.key("buy") == "F8" and "already “Sell”" in dialog.problem.text()

    press_new_key(qtbot, dialog, "guards", Qt.Key.Key_F9)  # an action without a key gets one
    assert registry.key("guards") == "F9"

    restore = next(b for b in dialog.findChildren(type(window.instrument_panel.buy)) if b.text() == "Restore defaults")
    QTest.mouseClick(restore, Qt.MouseButton.LeftButton)
    assert registry.key("buy") == "F1" and registry.key("guards") == ""
    assert prefs.shortcut("buy") is None and window.instrument_panel.buy.text() == "Buy  F1"
