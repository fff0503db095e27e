"""Stops / targets from the keyboard and the Trade menu: "Add stop / target…" (Ctrl+Shift+S, remappable) opens the
dialog for the selected position, "Re-arm paused stops / targets" (Ctrl+Shift+A) watches paused ones again, and
"Re-arm on start" is a switch in the Trade menu that says its risk in its own words, stored in the prefs the desk
reads at start."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk.triggers import REARM_KEY
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.triggers import Pause, TriggerState
from airalgo_desktop.settings import MemoryStore
from airalgo_desktop.ui.commands import Commands
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.protect import ProtectDialog
from airalgo_desktop.ui.ticket import OrderTicket
from tests.desk.fakes import FakeClient, make_desk, ticks, update


def wired(qtbot, tmp_path):
    desk, prefs, _notices = make_desk(store=MemoryStore())
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1250_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", side=Side.BUY, quantity=10, price=1250_00)))
    window = MainWindow(desk.master, desk.store, prefs, positions=desk.pnl.positions)
    qtbot.addWidget(window)
    ticket = OrderTicket(desk.master, desk.store, prefs, desk.ledger.place, desk.ledger.check, window)
    commands = Commands(None, desk, window, ticket, None, tmp_path)  # type: ignore[arg-type]
    commands.bind()
    window.positions_model.rebuild()
    return desk, window


def test_the_keys_open_the_dialog_rearm_and_show_in_the_trade_menu(qtbot, tmp_path) -> None:
    desk, window = wired(qtbot, tmp_path)
    a = window.actions_
    assert a.key("protect") == "Ctrl+Shift+S" and a.key("rearm_triggers") == "Ctrl+Shift+A"
    trade = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Trade")
    assert {a["protect"], a["rearm_triggers"], a["rearm_on_start"]} <= set(trade.actions())
    risky = a["rearm_on_start"].text()
    assert "risky" in risky and "not watched while the app was closed" in risky
    window.positions_panel.view.setCurrentIndex(window.positions_model.index(0, 0))
    a["protect"].trigger()
    dialog = window.findChild(ProtectDialog)
    assert dialog is not None and dialog.token == "2885" and dialog.isVisible()
    dialog.close()
    t = desk.triggers.protect("2885", stop=1240_00)
    assert t.pause(Pause.APP_CLOSED)  # as after a restart: paused until the trader says so
    said: list[str] = []
    window.show_message = said.append  # type: ignore[method-assign]
    a["rearm_triggers"].trigger()
    assert t.state is TriggerState.ARMED and said == ["1 stop(s) / target(s) watched again (held by this app)."]
    a["rearm_triggers"].trigger()
    assert said[-1] == "No paused stop / target to re-arm."


def test_rearm_on_start_is_a_stored_switch_and_the_menu_names_the_remapped_key(qtbot, tmp_path) -> None:
    desk, window = wired(qtbot, tmp_path)
    a = window.actions_
    assert not a["rearm_on_start"].isChecked() and not desk.triggers.rearm_on_start  # off unless chosen
    a["rearm_on_start"].setChecked(True)
    assert desk.triggers.rearm_on_start and window.prefs.read_bool(REARM_KEY, False)
    a["rearm_on_start"].setChecked(False)
    assert not desk.triggers.rearm_on_start
    a.remap("protect", "Ctrl+Alt+P")
    window.show()
    qtbot.waitExposed(window)
    view = window.positions_panel.view
    window.positions_panel._menu(view.visualRect(window.positions_model.index(0, 0)).center())
    menu = next(m for m in view.findChildren(QMenu) if m.isVisible())
    texts = [action.text() for action in menu.actions()]
    menu.close()
    assert "Add stop / target… (Ctrl+Alt+P) — held by this app" in texts, texts
