"""The risk gate as a desk part: every order passes it inside the ledger's one place; refusals are journalled and
never sent; the day lock (on a loss, or the kill switch) holds across a restart; the kill switch flattens each
position once — with the fake client (no Qt, no socket)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk import OrderChanged, Problem
from airalgo_desktop.desk.notices import KillSwitchDone, RiskChanged
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.risk import REFUSED, OrderRefused, RiskLimits, Source
from tests.desk.fakes import FakeClient, make_desk, of, ticks, update

ROOT = Path(__file__).resolve().parents[2] / "airalgo_desktop"


class MemoryRiskStore:
    """The journal's risk table, in memory (the real one is tested in tests/store)."""

    def __init__(self) -> None:
        self.rows: list[tuple[date, str, dict]] = []

    def record_risk(self, day: date, kind: str, detail: dict) -> None:
        self.rows.append((day, kind, dict(detail)))

    def risk_events(self, day: date) -> list[tuple[str, dict, str]]:
        return [(kind, detail, "") for d, kind, detail in self.rows if d == day]


def buy(token: str, qty: int, kind: OrderKind = OrderKind.MARKET) -> OrderRequest:
    return OrderRequest(token, Side.BUY, kind, qty)


def fill(client: FakeClient, record, price: int) -> None:
    client.emit(OrderEvent(record.local_id, update(record.request.token, "Executed", side=record.request.side,
                                                   quantity=record.request.quantity, price=price)))


@pytest.fixture
def wired(journal):
    desk, _prefs, notices = make_desk(journal)
    desk.risk.store = MemoryRiskStore()
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00, t3045=800_00))
    return desk, client, notices


def test_a_refusal_is_journalled_shown_and_never_sent(wired, journal) -> None:
    desk, client, notices = wired
    desk.risk.set_limits(RiskLimits(max_orders_per_day=1))
    first = desk.ledger.place(buy("2885", 1))
    with pytest.raises(OrderRefused) as refused:
        desk.ledger.place(buy("3045", 1), Source.CHAIN)
    assert str(refused.value) == "Refused by your limits: 1 order today; your limit is 1 a day (Trade → Risk limits…)."
    assert [local_id for local_id, _ in client.sent] == [first.local_id]  # nothing else reached the wire
    record = of(notices, OrderChanged)[-1].record
    assert record.status is OrderStatus.REJECTED and record.message.startswith(REFUSED)
    assert record.local_id in desk.ledger.records and record.sent_at is None
    (row,) = [j for j in journal.orders_for(record.created.date()) if j.local_id == record.local_id]
    assert row.status is OrderStatus.REJECTED and row.message.startswith(REFUSED)
    (event,) = journal.events_for(record.local_id)
    assert event[2][REFUSED] == record.message and event[2]["source"] == "chain"


def test_exits_pass_the_limits_and_the_lock(wired) -> None:
    desk, client, _notices = wired
    record = desk.ledger.place(buy("2885", 10))
    fill(client, record, 1300_00)
    desk.risk.set_limits(RiskLimits(max_orders_per_minute=1, max_lots_per_instrument=1))
    desk.risk.kill_switch()  # locks the day and sends the exit of the 10
    assert client.sent[-1][1].side is Side.SELL and client.sent[-1][1].quantity == 10
    with pytest.raises(OrderRefused, match="the day is locked"):
        desk.ledger.place(buy("3045", 1))


def test_a_loss_past_the_limit_locks_the_day_and_a_restart_keeps_it(journal) -> None:
    desk, _prefs, notices = make_desk(journal)
    store = MemoryRiskStore()
    desk.risk.store = store
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    desk.risk.set_limits(RiskLimits(max_day_loss=5_000_00))
    record = desk.ledger.place(buy("2885", 100))
    fill(client, record, 1300_00)
    desk.on_event(ticks(t2885=1260_00))  # −₹4,000: 80 % of the limit
    desk.sample(6000.0)
    meter = of(notices, RiskChanged)[-1]
    assert meter.day_pnl == -4_000_00 and 0.8 <= meter.used < 1 and not meter.locked
    desk.on_event(ticks(t2885=1250_00))  # −₹5,000: the limit
    desk.sample(6001.0)
    assert of(notices, RiskChanged)[-1].locked
    assert any("Trading locked for today" in p.message for p in of(notices, Problem))
    assert [kind for _day, kind, _detail in store.rows] == ["lock"]
    with pytest.raises(OrderRefused):
        desk.ledger.place(buy("2885", 1))
    # a restart the same trading day: still locked, the day's count kept
    again, _prefs2, notices2 = make_desk(journal)
    again.risk.store = store
    again.ledger.restore()
    again.risk.restore()
    assert again.risk.gate.locked is not None and again.risk.gate.orders_today == 1
    assert any("Trading locked" in p.message for p in of(notices2, Problem))
    # lifting it takes the typed phrase, and is journalled
    assert not again.risk.unlock("ok") and again.risk.unlock("UNLOCK")
    assert [kind for _day, kind, _detail in store.rows] == ["lock", "unlock"]


def test_kill_switch_flattens_each_position_once_and_lists_what_it_cannot_cancel(wired) -> None:
    desk, client, notices = wired
    long = desk.ledger.place(buy("2885", 10))
    fill(client, long, 1300_00)
    short = desk.ledger.place(OrderRequest("3045", Side.SELL, OrderKind.MARKET, 5))
    fill(client, short, 800_00)
    resting = desk.ledger.place(OrderRequest("3045", Side.BUY, OrderKind.LIMIT, 1, price=700_00, ltp=800_00))
    before = len(client.sent)
    report = desk.risk.kill_switch()
    exits = client.sent[before:]
    # the short 5 has a resting buy of 1 at the exchange (the trader's own exit): the kill switch sends 4, so the
    # book is never pushed past flat when that one fills — and lists the resting order for the trader to cancel
    assert sorted((r.token, r.side, r.quantity) for _id, r in exits) == [("2885", Side.SELL, 10),
                                                                          ("3045", Side.BUY, 4)]
    assert report.locked and len(report.sent) == 2 and not report.failed
    assert [r.local_id for r in report.still_open] == [resting.local_id]
    lines = report.lines(lambda token: token)
    assert any("cannot cancel" in line for line in lines) and of(notices, KillSwitchDone)
    # pressed again (or after a reconnect): the exits already open cover the positions — nothing is sent twice
    client.emit(OrderEvent(None, update("2885", "Pending", side=Side.SELL, quantity=10, number=None)))
    again = desk.risk.kill_switch()
    assert client.sent[before + 2:] == [] and again.sent == [] and not again.locked


def test_every_order_reaches_the_wire_only_through_the_ledgers_place() -> None:
    """Structure: the client's place_order is called by the order service alone, the service's place by the
    ledger's place alone, and nothing outside the ledger builds an order service."""
    callers: dict[str, list[str]] = {"place_order": [], "OrderService": [], "_service.place": []}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = ast.unparse(func)
                if isinstance(func, ast.Attribute) and func.attr == "place_order":
                    callers["place_order"].append(rel)
                if name == "OrderService":
                    callers["OrderService"].append(rel)
                if name.endswith("service.place"):
                    callers["_service.place"].append(rel)
    # the service asks the client, the client its sans-I/O machine (a paper session, the client of paper mode, hands
    # it to the paper exchange; the shadow part hands a copy of a sent order to its own private paper exchange): no
    # other caller
    assert set(callers["place_order"]) == {"services/orders.py", "api/client.py", "services/paper.py",
                                           "desk/shadow.py"}, callers
    assert set(callers["OrderService"]) == {"desk/ledger.py"}, callers
    assert set(callers["_service.place"]) == {"desk/ledger.py"}, callers


def test_the_meter_follows_a_positions_tick_and_locks_without_waiting_for_the_timer(journal) -> None:
    """The status bar's meter and the Day P&L are one quantity: a position's tick moves the meter (and may lock the
    day) at once, not at the next once-a-second sample (the trader walkthrough saw −₹546 beside −₹711.75)."""
    now = [5000.0]
    desk, _prefs, notices = make_desk(journal, clock=lambda: now[0])
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1300_00))
    desk.risk.set_limits(RiskLimits(max_day_loss=5_000_00))
    record = desk.ledger.place(buy("2885", 100))
    fill(client, record, 1300_00)
    now[0] += 1.0
    desk.on_event(ticks(t2885=1270_00))
    assert of(notices, RiskChanged)[-1].day_pnl == -3_000_00 == desk.pnl.day_pnl()
    now[0] += 1.0
    desk.on_event(ticks(t2885=1249_00))
    assert of(notices, RiskChanged)[-1].locked and desk.risk.gate.locked is not None
