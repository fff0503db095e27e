"""Trade → Guards…: the ticket's checks (duplicate, price band, freeze quantity, stale feed). The order value limit
moved to Trade → Risk limits… (the risk gate, which every order path passes): the dialog points there. The value
field's tests (grouped rupees, refusing 0 or less) moved with it to tests/ui/test_risk_ui.py."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from airalgo_desktop.services.guards import GuardSettings
from airalgo_desktop.ui.dialogs import GuardsDialog


def test_guards_dialog_saves_the_checks_and_points_to_the_risk_limits(qtbot) -> None:
    dialog = GuardsDialog(GuardSettings())
    qtbot.addWidget(dialog)
    saved: list[GuardSettings] = []
    dialog.saved.connect(saved.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert any("Trade → Risk limits…" in label.text() for label in dialog.findChildren(QLabel))
    assert not hasattr(dialog, "value_edit")
    dialog.band_pct.setValue(2.5)
    dialog.stale.setChecked(False)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    QTest.mouseClick(save, Qt.MouseButton.LeftButton)
    assert saved == [GuardSettings(price_band_pct=2.5, stale_enabled=False)] and not dialog.isVisible()
