"""The risk part's persistence through the real journal and the real preferences: the hub gives the journal to the
risk part, a lock survives a restart of the desk on the same journal, the limits survive in the settings."""

from __future__ import annotations

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk import Problem
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.settings import MemoryStore
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk, of, ticks, update


def test_the_lock_is_in_the_journal_and_the_limits_in_the_settings(tmp_path) -> None:
    journal = Journal.open(tmp_path / "data")
    settings = MemoryStore()
    desk, _prefs, _notices = make_desk(journal, settings)
    assert desk.risk.store is journal  # the hub hands its journal to the risk part
    limits = RiskLimits(max_day_loss=5_000_00, loss_net_of_charges=True, max_orders_per_minute=10,
                        max_order_value=None)
    desk.risk.set_limits(limits)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 100))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", side=Side.BUY, quantity=100, price=1300_00)))
    desk.on_event(ticks(t2885=1200_00))  # −₹10,000
    desk.sample(6000.0)
    assert desk.risk.gate.locked is not None
    day = desk.risk.gate.today()
    assert [kind for kind, _d, _at in journal.risk_events(day)] == ["lock"]
    desk.detach()
    journal.close()

    journal = Journal.open(tmp_path / "data")  # the app restarted the same day
    again, _prefs, notices = make_desk(journal, settings)
    assert again.risk.limits == limits
    again.ledger.restore()
    again.risk.restore()
    assert again.risk.gate.locked is not None
    assert any("Trading locked for today" in p.message for p in of(notices, Problem))
    assert again.risk.unlock("unlock")
    assert [kind for kind, _d, _at in journal.risk_events(day)] == ["lock", "unlock"]
    journal.close()
