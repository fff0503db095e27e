"""Stops on option legs from the chain: a held leg's context menu offers "Add stop / target…" (as the positions
table does) and one combined stop on all the underlying's option legs; the combined-stop dialog arms it through
the desk's triggers, says who holds it, and keeps what was typed when it refuses."""

from __future__ import annotations

from datetime import datetime, timedelta

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.chain import ChainState, OptionCatalog
from airalgo_desktop.services.triggers import TriggerKind, TriggerState
from airalgo_desktop.ui.chain import ChainPanel
from airalgo_desktop.ui.protect import LegsProtectDialog, protection_state
from tests.desk.fakes import FakeClient, make_desk, ticks, update


def short_strangle():
    """A desk with a short call and a short put of NIFTY's first expiry; returns (desk, chain, call, put)."""
    desk, _prefs, _notices = make_desk()
    client = FakeClient()
    desk.attach(client)
    catalog = OptionCatalog(desk.master)
    expiry = catalog.expiries("NIFTY")[0]
    chain = ChainState(catalog, desk.store, "NIFTY", expiry, today=expiry - timedelta(days=3))
    legs = []
    for series in (chain.series.calls, chain.series.puts):
        legs.append(series[sorted(series)[len(series) // 2]])
    call, put = legs
    desk.on_event(ticks(**{f"t{call.token}": 120_00, f"t{put.token}": 110_00}))
    for leg in legs:
        record = desk.ledger.place(OrderRequest(leg.token, Side.SELL, OrderKind.MARKET, leg.lot_size))
        client.emit(OrderEvent(record.local_id, update(leg.token, "Executed", side=Side.SELL,
                                                       quantity=leg.lot_size, price=115_00)))
    return desk, chain, call, put


def test_a_held_legs_menu_offers_its_stop_and_the_combined_stop(qtbot) -> None:
    desk, chain, call, _put = short_strangle()
    panel = ChainPanel(chain)
    qtbot.addWidget(panel)
    panel.held = lambda t: p.net if (p := desk.pnl.positions.positions.get(t)) is not None else 0
    panel.refresh(datetime.combine(chain.expiry - timedelta(days=3), datetime.min.time(), IST).replace(hour=11))
    model = panel.model
    cell = next((r, c) for r in range(model.rowCount()) for c in range(model.columnCount())
                if (leg := model.leg_at(r, c)[1]) is not None and leg.token == call.token)
    actions = {a.text(): a for a in panel.menu_actions(*cell)}
    protect = actions["Add stop / target… (held by this app)"]
    assert protect.isEnabled()
    with qtbot.waitSignal(panel.protectRequested) as asked:
        protect.trigger()
    assert asked.args == [call.token]
    with qtbot.waitSignal(panel.legsProtectRequested) as asked:
        actions["Combined stop on NIFTY option legs… (held by this app)"].trigger()
    assert asked.args == ["NIFTY"]
    other = next((r, c) for r in range(model.rowCount()) for c in range(model.columnCount())
                 if (leg := model.leg_at(r, c)[1]) is not None and not panel.held(leg.token))
    assert not {a.text(): a for a in panel.menu_actions(*other)}["Add stop / target… (held by this app)"].isEnabled()


def test_the_combined_stop_dialog_arms_one_stop_on_the_legs(qtbot) -> None:
    desk, _chain, call, put = short_strangle()
    dialog = LegsProtectDialog(desk.triggers, "NIFTY", [call.token, put.token])
    qtbot.addWidget(dialog)
    assert "not by the exchange" in dialog.held.text()
    dialog.max_loss.setText("5,000.123")
    dialog.accept()
    assert dialog.trigger is None and "more than two decimals" in dialog.error.text()
    assert dialog.max_loss.text() == "5,000.123"  # kept as typed
    dialog.max_loss.setText("5000")
    dialog.accept()
    t = dialog.trigger
    assert t is not None and t.kind is TriggerKind.COMBINED and t.state is TriggerState.ARMED
    assert set(t.legs) == {call.token, put.token} and t.max_loss == 5000_00
    assert protection_state(desk.triggers, call.token) == "combined loss ₹5,000.00: armed"
