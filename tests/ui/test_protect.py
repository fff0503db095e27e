"""Positions → Add stop / target…: the dialog arms a trigger held by this app, says why when it cannot (and keeps
what was typed), and the positions table's tooltip lists a row's triggers with the words "held by this app"."""

from __future__ import annotations

from PySide6.QtCore import Qt

from airalgo_desktop.domain.orders import Side
from airalgo_desktop.services.triggers import TriggerState
from airalgo_desktop.ui.positions import PositionsModel
from airalgo_desktop.ui.protect import LIMIT, ProtectDialog, protection_text
from tests.desk.fakes import FakeClient, ticks, with_position


def test_add_stop_target_arms_a_bracket_and_the_tooltip_says_who_holds_it(qtbot) -> None:
    desk, _client, _notices = with_position()
    dialog = ProtectDialog(desk.triggers, "2885", "RELIANCE", 10, 1250_00)
    qtbot.addWidget(dialog)
    assert "held by this app, not by the exchange" in dialog.held.text().lower()
    dialog.stop.setText("1,255")  # above the LTP of a long: it would fire at once
    dialog.target.setText("1280")
    dialog.accept()
    assert dialog.trigger is None and "already crossed" in dialog.error.text()
    assert dialog.target.text() == "1280"  # nothing typed is lost
    dialog.stop.setText("12.345")
    dialog.accept()
    assert "more than two decimals" in dialog.error.text()
    dialog.stop.setText("1245")
    dialog.exit.setCurrentText(LIMIT)
    dialog.quantity.setValue(6)
    dialog.accept()
    t = dialog.trigger
    assert t is not None and t.state is TriggerState.ARMED and (t.stop, t.target, t.quantity) == (1245_00, 1280_00, 6)
    assert t.buffer_ticks == 2
    model = PositionsModel(desk.pnl.positions, desk.master, desk.store)
    model.protection = lambda token: protection_text(desk.triggers, token)
    tip = model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Stop + target — Sell 6: stop ₹1,245.00, target ₹1,280.00 (limit ±2 ticks) — armed")
    assert "Held by this app, not by the exchange" in tip
    assert model.data(model.index(1, 1), Qt.ItemDataRole.ToolTipRole) is None  # the totals row


def test_trailing_by_percent(qtbot) -> None:
    desk, _client, _notices = with_position(quantity=5, price=1000_00, side=Side.SELL)
    dialog = ProtectDialog(desk.triggers, "2885", "RELIANCE", -5, 1000_00)
    qtbot.addWidget(dialog)
    dialog.trail.setText("abc")
    dialog.trail_unit.setCurrentText("%")
    dialog.accept()
    assert "not a percentage" in dialog.error.text()
    dialog.trail.setText("1.5")
    dialog.accept()
    assert dialog.trigger is not None and dialog.trigger.trail_bp == 150 and dialog.trigger.stop == 1015_00


def test_firings_are_notified_and_pauses_said(qtbot, settings) -> None:
    from PySide6.QtWidgets import QWidget

    from airalgo_desktop.settings import Prefs
    from airalgo_desktop.ui.notify import Notifier
    from airalgo_desktop.ui.protect import announce_triggers

    class Window(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def show_message(self, text: str) -> None:
            self.messages.append(text)

    window = Window()
    qtbot.addWidget(window)
    notifier = Notifier(window, Prefs(settings), tray=False)
    desk, _client, _notices = with_position()
    announce_triggers(window, desk, notifier)
    desk.triggers.protect("2885", stop=1245_00)
    desk.detach()
    assert window.messages == ["1 protective trigger(s) not watched: the connection is down: they fire only while "
                               "watched."]
    desk.attach(FakeClient("B"))
    desk.on_event(ticks(t2885=1240_00))
    (sent,) = notifier.sent
    assert sent[0] == "toast" and "Fired by your stop ₹1,245.00" in sent[2] and "fired → order B-1" in sent[2]


def test_the_order_book_says_which_exit_a_trigger_fired(qtbot) -> None:
    from airalgo_desktop.ui.orderbook import OrderBookModel
    from airalgo_desktop.ui.protect import fired_text

    desk, client, _notices = with_position()
    desk.triggers.protect("2885", target=1260_00)
    desk.on_event(ticks(t2885=1261_00))
    model = OrderBookModel()
    model.origin = lambda local_id: fired_text(desk.triggers, local_id)
    for record in desk.ledger.records.values():
        model.upsert(record)
    entry_tip, exit_tip = (model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole) for row in (0, 1))
    assert "Fired by" not in entry_tip
    assert "\nFired by your target ₹1,260.00 at LTP ₹1,261.00, " in exit_tip
    assert "(target held by this app)" in exit_tip and client.sent[-1][0] in desk.ledger.records


def test_the_dialog_lists_what_protects_the_position_and_rearms_or_disarms_it(qtbot) -> None:
    from airalgo_desktop.services.triggers import Pause

    desk, _client, _notices = with_position()
    t = desk.triggers.protect("2885", stop=1245_00)
    t.pause(Pause.APP_CLOSED)  # as after a restart
    dialog = ProtectDialog(desk.triggers, "2885", "RELIANCE", 10, 1250_00)
    qtbot.addWidget(dialog)
    assert "paused: not watched while the app was closed" in dialog.existing.text()
    assert not dialog.rearm_button.isHidden()
    dialog.rearm()
    assert t.state is TriggerState.ARMED and dialog.rearm_button.isHidden()
    assert dialog.existing.text().endswith("— armed")
    dialog.disarm_all()
    assert t.state is TriggerState.DISARMED and dialog.existing.isHidden()
