"""The ticket's "with stop / target": levels typed on an entry are checked before anything is sent, attached to the
entry through the desk's triggers (waiting, then armed for what filled — partial fills included), and the ticket
says in plain words that the app holds them, not the exchange."""

from __future__ import annotations

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.domain.orders import OrderKind, Side
from airalgo_desktop.services.triggers import TriggerState
from airalgo_desktop.ui.ticket import OrderTicket
from tests.desk.fakes import FakeClient, make_desk, ticks, update


def desk_and_ticket(qtbot, protect: bool = True):
    desk, prefs, _notices = make_desk()
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1250_00))
    ticket = OrderTicket(desk.master, desk.store, prefs, desk.ledger.place, desk.ledger.check,
                         guards=desk.ledger.guards, protect=desk.triggers.protect_entry if protect else None)
    qtbot.addWidget(ticket)
    ticket.listen_to(desk)
    assert ticket.open_for("2885", Side.BUY)
    ticket.confirm_box.setChecked(False)
    ticket.kind.setCurrentIndex(ticket.kind.findData(OrderKind.MARKET))
    ticket.qty.setValue(10)
    return desk, client, ticket


def test_an_entry_with_stop_and_target_arms_them_for_what_filled(qtbot) -> None:
    desk, client, ticket = desk_and_ticket(qtbot)
    box = ticket.protect_box
    assert not box.body.isVisibleTo(ticket) and not box.note.isVisibleTo(ticket)  # off: as short as before
    box.enabled.setChecked(True)
    assert box.note.isVisibleTo(ticket)
    assert "not by the exchange — not watched while the app is closed or disconnected" in box.note.text()
    box.stop.setText("1,260")  # above the LTP of a buy: it would fire at the fill
    box.target.setText("1300")
    assert any("already crossed" in p for p in ticket.revalidate())
    assert not ticket.send_button.isEnabled()
    ticket.send()
    assert not desk.ledger.records  # nothing was sent
    box.stop.setText("1240")
    assert ticket.revalidate() == []
    ticket.send()
    assert ticket.pages.currentIndex() == 1  # a guard asks (the fake feed's tick is old): the step says the levels
    assert "with a stop / target held by this app" in ticket.confirm_text.text()
    ticket.send()
    (record,) = desk.ledger.records.values()
    (trigger,) = desk.triggers.triggers.values()
    assert trigger.state is TriggerState.WAITING and trigger.entries == (record.local_id,)
    assert "held by this app, not by the exchange" in ticket.protect_status.text().lower()
    assert ticket.protect_status.isVisibleTo(ticket)
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", side=Side.BUY, quantity=10, price=1250_00)))
    assert trigger.state is TriggerState.ARMED and trigger.quantity == 10
    assert (trigger.stop, trigger.target, trigger.exit_side) == (1240_00, 1300_00, Side.SELL)


def test_bad_levels_are_said_and_a_new_ticket_starts_without_them(qtbot) -> None:
    _desk, _client, ticket = desk_and_ticket(qtbot)
    ticket.protect_box.enabled.setChecked(True)
    assert any("give a stop" in p.lower() for p in ticket.revalidate())
    ticket.protect_box.stop.setText("12.345")
    assert any("more than two decimals" in p for p in ticket.revalidate())
    assert ticket.protect_box.stop.text() == "12.345"  # kept as typed
    ticket.open_for("2885", Side.SELL)
    assert not ticket.protect_box.wanted and ticket.protect_box.stop.text() == ""
    assert ticket.revalidate() == []


def test_without_the_desks_triggers_the_ticket_has_no_such_switch(qtbot) -> None:
    _desk, _client, ticket = desk_and_ticket(qtbot, protect=False)
    assert not ticket.protect_box.isVisibleTo(ticket)
