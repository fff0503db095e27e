"""The positions table's Protection column: a position's app-held triggers and their state in words — armed,
paused: why (not only in the tooltip), fired → order … — said again as soon as the triggers change."""

from __future__ import annotations

from PySide6.QtCore import Qt

from airalgo_desktop.ui.positions import COLUMNS, PROTECTION, PositionsModel, PositionsPanel
from airalgo_desktop.ui.protect import protection_state, protection_text
from tests.desk.fakes import ticks, with_position


def test_the_protection_column_says_armed_paused_and_fired(qtbot) -> None:
    desk, client, _notices = with_position()
    model = PositionsModel(desk.pnl.positions, desk.master, desk.store)
    model.protection = lambda token: protection_text(desk.triggers, token)
    model.protection_state = lambda token: protection_state(desk.triggers, token)
    panel = PositionsPanel(model)
    qtbot.addWidget(panel)
    panel.listen_to(desk)
    assert COLUMNS[PROTECTION] == "Protection"
    assert model.headerData(PROTECTION, Qt.Orientation.Horizontal) == "Protection"
    cell = model.index(0, PROTECTION)
    assert model.data(cell) == ""  # nothing protects it yet
    desk.triggers.protect("2885", stop=1245_00, target=1280_00)
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        desk.detach()  # the connection dropped: not watched, and the column says so
    assert model.data(cell) == "stop ₹1,245.00, target ₹1,280.00: paused: not watched: the connection is down"
    (t,) = desk.triggers.triggers.values()
    desk.attach(client)
    desk.on_event(ticks(t2885=1251_00))  # connected again: watched from the next tick
    assert model.data(cell).endswith(": armed")
    desk.on_event(ticks(t2885=1244_00))  # through the stop: fired, the exit named
    assert model.data(cell) == f"stop ₹1,245.00, target ₹1,280.00: fired → order {t.orders[0]}"
    assert model.data(model.index(1, PROTECTION)) == ""  # the totals row
    header = panel.view.horizontalHeader()
    assert header.visualIndex(PROTECTION) == 4  # read with the P&L, not scrolled off to the right
