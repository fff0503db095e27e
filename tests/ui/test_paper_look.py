"""The paper account dialog (capital, fill model, reset) and the paper look on a bare window."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QMainWindow

from airalgo_desktop.desk.paper import PaperDesk
from airalgo_desktop.services.paper import PaperSettings
from airalgo_desktop.ui.paper import PaperAccountDialog, PaperFrame, apply_paper_look, paper_title
from tests.desk.fakes import context


def paper_part() -> PaperDesk:
    ctx, _bus = context()
    return PaperDesk(ctx, {})


def test_the_dialog_saves_what_the_trader_types_and_refuses_the_implausible(qtbot) -> None:
    paper = paper_part()
    dialog = PaperAccountDialog(paper)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "PAPER — Paper account"
    dialog.capital.setText("abc")
    dialog.save()
    assert "rupees" in dialog.error.text() and paper.settings == PaperSettings()
    dialog.capital.setText("0")
    dialog.save()
    assert "Paper capital must be" in dialog.error.text() and paper.settings == PaperSettings()
    dialog.capital.setText("5,00,000")
    dialog.slippage.setValue(2)
    dialog.save()
    assert paper.settings == PaperSettings(5_00_000_00, 2) and dialog.result() == PaperAccountDialog.DialogCode.Accepted


def test_reset_from_the_dialog_says_what_it_did_or_why_not(qtbot) -> None:
    paper = paper_part()
    dialog = PaperAccountDialog(paper)
    qtbot.addWidget(dialog)
    dialog.capital.setText("2,00,000")
    dialog.reset()
    assert "Paper account reset: 0 open order(s) cancelled" in dialog.error.text()
    assert paper.settings.capital == 2_00_000_00
    paper._net = {"2885": 5}  # an open paper position (normally from the ledger's fills)
    dialog.reset()
    assert "square them off first" in dialog.error.text()


def test_the_paper_look_keeps_paper_in_the_title(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setWindowTitle("AirAlgo Desktop")
    apply_paper_look(window, None, "capital ₹10,00,000.00, fills at LTP")
    assert window.windowTitle() == "PAPER — AirAlgo Desktop"
    window.setWindowTitle("AirAlgo Desktop — connected")  # a title change elsewhere keeps the PAPER mark
    assert window.windowTitle() == "PAPER — AirAlgo Desktop — connected"
    assert window.findChild(PaperFrame) is not None and window.findChild(QLabel, "paper_badge") is not None
    assert paper_title("PAPER — x") == "PAPER — x"


def test_every_dialog_of_a_paper_window_says_paper(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    apply_paper_look(window, None, "capital ₹10,00,000.00, fills at LTP")
    dialog = QDialog(window)
    dialog.setWindowTitle("Day report")
    dialog.show()
    qtbot.waitUntil(lambda: dialog.windowTitle() == "PAPER — Day report")
    assert dialog.findChild(PaperFrame) is not None
    dialog.setWindowTitle("Day report — 5 Dec")
    assert dialog.windowTitle() == "PAPER — Day report — 5 Dec"
