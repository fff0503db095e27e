"""Trade → Guards…: a value limit that is not a positive amount is refused with a message, never saved (a saved
"-5" blocked every order as "above your limit -₹5.00")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from airalgo_desktop.services.guards import GuardSettings
from airalgo_desktop.ui.dialogs import GuardsDialog


def type_limit_and_save(qtbot, text: str) -> tuple[GuardsDialog, list[GuardSettings]]:
    dialog = GuardsDialog(GuardSettings())
    qtbot.addWidget(dialog)
    saved: list[GuardSettings] = []
    dialog.saved.connect(saved.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    edit = dialog.value_edit
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    QTest.mouseClick(save, Qt.MouseButton.LeftButton)
    return dialog, saved


def test_negative_or_zero_value_limit_is_refused(qtbot) -> None:
    for text in ("-5", "0", "0.00"):
        dialog, saved = type_limit_and_save(qtbot, text)
        assert saved == [], text
        assert dialog.isVisible() and "above ₹0" in dialog.error.text(), (text, dialog.error.text())
        assert dialog.value_edit.text() == text  # what was typed stays to be corrected


def test_a_grouped_limit_is_saved_in_paisa(qtbot) -> None:
    dialog, saved = type_limit_and_save(qtbot, "10,00,000")
    assert [s.max_order_value for s in saved] == [10_00_000_00]
    assert not dialog.isVisible()
