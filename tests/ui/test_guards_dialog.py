"""Trade → Guards…: a value limit that is not a positive amount is refused with a message, never saved (a saved
"-5" blocked every order as "above your limit -₹5.00")."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

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


def test_value_limit_is_shown_in_grouped_rupees_and_typed_either_way(qtbot) -> None:
    dialog = GuardsDialog(GuardSettings(max_order_value=10_00_000_00))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.value_edit.text() == "₹10,00,000.00"  # like every amount in the app, not "1000000.00"
    assert dialog.value.text() == "Block orders worth more than"
    for typed, paisa, shown in (("250000", 2_50_000_00, "₹2,50,000.00"), ("2,50,000.50", 2_50_000_50,
                                                                          "₹2,50,000.50"),
                                ("1,250,000", 12_50_000_00, "₹12,50,000.00")):
        edit = dialog.value_edit
        edit.setFocus()
        edit.selectAll()
        QTest.keyClicks(edit, typed)
        assert edit.text() == typed  # nothing moves while typing
        # leaving the field (Tab; sent as the focus-out Tab causes: the offscreen platform moves no focus)
        QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
        assert edit.text() == shown, typed
        assert dialog._parse(edit.text()) == paisa
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, "12,5O0")  # a typo stays as typed on leaving, and Save says why
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert edit.text() == "12,5O0"
    _dialog, saved = type_limit_and_save(qtbot, "5,00,000")
    assert [s.max_order_value for s in saved] == [5_00_000_00]
