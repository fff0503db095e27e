"""Protective triggers as a desk part, with the fake client (no Qt, no socket): each fires once through the
ledger's place as a trigger's exit, journalled *fired* before it is sent; entries arm them as they fill; manual
changes shrink or disarm them; a drop or a stale feed pauses them honestly; a restart brings them back paused with
what the bars say happened meanwhile; a kill -9 between the decision and the send never makes a second exit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from airalgo_desktop.api.events import FeedStale, OrderEvent, Ticks
from airalgo_desktop.desk import Problem, TriggerFired, TriggersChanged
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.risk import Source
from airalgo_desktop.services.triggers import Pause, TriggerState
from airalgo_desktop.settings import MemoryStore
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk, of, ticks, update

T0 = datetime(2025, 1, 9, 6, 10, tzinfo=UTC).timestamp()  # 11:40 IST


class Clock:
    def __init__(self, at: float = T0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def fill(client: FakeClient, record, price: int) -> None:
    client.emit(OrderEvent(record.local_id, update(record.request.token, "Executed", side=record.request.side,
                                                   quantity=record.request.quantity, price=price)))


def reject(client: FakeClient, record) -> None:
    client.emit(OrderEvent(record.local_id, update(record.request.token, "Rejected", side=record.request.side,
                                                   quantity=record.request.quantity, reason="margin")))


def tick_at(at: float, **prices: int) -> Ticks:
    ltt = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Ticks({t.lstrip("t"): {"ltp": p, "ltq": 1, "ltt": ltt} for t, p in prices.items()})


def wired(journal, clock=None):
    desk, _prefs, notices = make_desk(journal, clock=clock or Clock())
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1250_00, t3045=800_00))
    return desk, client, notices


def long(desk, client, qty: int = 10, price: int = 1250_00, token: str = "2885"):
    record = desk.ledger.place(OrderRequest(token, Side.BUY, OrderKind.MARKET, qty))
    fill(client, record, price)
    return record


def exits(client: FakeClient, before: int) -> list[tuple[str, Side, int, OrderKind, int]]:
    return [(r.token, r.side, r.quantity, r.kind, r.price) for _id, r in client.sent[before:]]


def test_a_stop_fires_once_through_place_journalled_before_it_is_sent(journal) -> None:
    desk, client, notices = wired(journal)
    long(desk, client)
    trigger = desk.triggers.protect("2885", stop=1245_00, buffer_ticks=2)
    states_at_send: list[str] = []
    place_order = client.place_order

    def spy(request, instrument, *, local_id=None):  # what the journal says at the moment the frame goes out
        states_at_send.extend(t["state"] for t in journal.triggers_for(desk.triggers.day))
        return place_order(request, instrument, local_id=local_id)

    client.place_order = spy  # type: ignore[method-assign]
    before = len(client.sent)
    desk.on_event(ticks(t2885=1246_00))
    assert exits(client, before) == []
    desk.on_event(ticks(t2885=1240_00))  # a gap through the stop
    assert exits(client, before) == [("2885", Side.SELL, 10, OrderKind.LIMIT, 1239_90)]
    assert states_at_send == ["fired"]
    assert trigger.state is TriggerState.FIRED and trigger.orders == [client.sent[-1][0]]
    assert desk.triggers.book.fired_by(trigger.orders[0]) is trigger
    assert trigger.status_text() == f"fired → order {trigger.orders[0]}"
    events = [kind for kind, _text in journal.trigger_events(trigger.id)]
    assert events == ["created", "fired", "sent"]
    (fired,) = of(notices, TriggerFired)
    assert fired.text.startswith("Fired by your stop ₹1,245.00 at LTP ₹1,240.00")
    for price in (1230_00, 1250_00, 1200_00):  # never again, whatever comes
        desk.on_event(ticks(t2885=price))
    assert len(client.sent) == before + 1


def test_the_exit_passes_the_risk_gate_as_a_trigger(journal) -> None:
    desk, client, _notices = wired(journal)
    long(desk, client)
    sources: list[Source] = []
    assess = desk.risk.assess
    desk.risk.assess = lambda request, source: (sources.append(source), assess(request, source))[1]
    desk.triggers.protect("2885", target=1260_00)
    desk.on_event(ticks(t2885=1261_00))
    assert sources == [Source.TRIGGER] and client.sent[-1][1].kind is OrderKind.MARKET


def test_oco_bracket_one_side_fires_the_other_is_gone(journal) -> None:
    desk, client, _notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1245_00, target=1260_00)
    before = len(client.sent)
    desk.on_event(ticks(t2885=1260_00))
    fill(client, desk.ledger.records[t.orders[0]], 1260_00)
    desk.on_event(ticks(t2885=1240_00))
    assert exits(client, before) == [("2885", Side.SELL, 10, OrderKind.MARKET, 0)]
    assert "the stop is disarmed with it" in t.fired


def test_refused_levels_say_why_and_keep_nothing(journal) -> None:
    desk, client, _notices = wired(journal)
    with pytest.raises(ValueError, match="no open position"):
        desk.triggers.protect("2885", stop=1200_00)
    long(desk, client)
    with pytest.raises(ValueError, match="already crossed"):
        desk.triggers.protect("2885", stop=1255_00)
    assert desk.triggers.triggers == {}


def test_entry_slices_arm_as_they_fill_sized_to_what_filled(journal) -> None:
    desk, client, _notices = wired(journal)
    first = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 6))
    second = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 4))
    t = desk.triggers.protect_entry([first, second], stop=1240_00)
    assert t.state is TriggerState.WAITING
    desk.on_event(ticks(t2885=1230_00))  # not armed yet: nothing fires
    assert len(client.sent) == 2
    desk.on_event(ticks(t2885=1250_00))
    fill(client, first, 1250_00)
    assert t.state is TriggerState.ARMED and t.quantity == 6
    before = len(client.sent)
    desk.on_event(ticks(t2885=1239_00))
    assert exits(client, before) == [("2885", Side.SELL, 6, OrderKind.MARKET, 0)]  # only what filled
    fill(client, second, 1239_00)  # a late fill after the fire: the trigger stays fired, nothing more is sent
    assert len(client.sent) == before + 1
    rejected = desk.ledger.place(OrderRequest("3045", Side.BUY, OrderKind.MARKET, 5))
    waiting = desk.triggers.protect_entry([rejected], stop=700_00)
    reject(client, rejected)
    assert waiting.state is TriggerState.DISARMED and waiting.reason == "the entry order was not filled"


def test_a_position_changed_by_hand_shrinks_then_disarms(journal) -> None:
    desk, client, notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1240_00)
    sold = desk.ledger.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 4))
    fill(client, sold, 1252_00)
    assert t.quantity == 6 and t.state is TriggerState.ARMED
    assert "shrunk to 6" in of(notices, TriggersChanged)[-1].message
    rest = desk.ledger.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 6))
    fill(client, rest, 1252_00)
    assert t.state is TriggerState.DISARMED and t.reason == "the position was closed"
    before = len(client.sent)
    desk.on_event(ticks(t2885=1200_00))
    assert len(client.sent) == before


def test_an_open_manual_exit_leaves_only_the_rest_to_the_trigger(journal) -> None:
    desk, client, _notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1240_00)
    desk.ledger.place(OrderRequest("2885", Side.SELL, OrderKind.LIMIT, 7, price=1300_00, ltp=1250_00))
    before = len(client.sent)
    desk.on_event(ticks(t2885=1239_00))
    assert exits(client, before) == [("2885", Side.SELL, 3, OrderKind.MARKET, 0)]  # never past flat
    assert t.state is TriggerState.FIRED


def test_disconnect_and_stale_feed_pause_and_the_next_tick_watches_again(journal) -> None:
    desk, client, notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1240_00)
    desk.detach()
    assert t.state is TriggerState.PAUSED and t.reason == Pause.DISCONNECTED.value
    assert "not watched" in of(notices, TriggersChanged)[-1].message
    again = FakeClient("B")
    desk.attach(again)
    desk.on_event(ticks(t2885=1230_00))  # the first tick after the drop is below the stop: it fires now
    assert t.state is TriggerState.FIRED and [r.quantity for _i, r in again.sent] == [10]
    other = long(desk, again, 5, 800_00, "3045")
    assert other is not None
    s = desk.triggers.protect("3045", stop=790_00)
    desk.on_event(FeedStale(12.0))
    assert s.state is TriggerState.PAUSED and s.reason == "not watched: the feed is stale (no tick for 12 s)"
    desk.on_event(ticks(t3045=795_00))
    assert s.state is TriggerState.ARMED


def test_a_new_trading_day_disarms_what_is_left(journal) -> None:
    desk, client, _notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1240_00)
    days = iter([desk.triggers.day.replace(year=2099)])
    desk.triggers.today = lambda: next(days)
    desk.sample(T0 + 1)
    assert t.state is TriggerState.DISARMED and t.reason == "the trading day ended"


def test_trailing_stop_follows_and_its_moves_are_saved_on_sample(journal) -> None:
    desk, client, _notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", trail=5_00)
    assert t.stop == 1245_00
    desk.on_event(ticks(t2885=1262_00))
    desk.on_event(ticks(t2885=1255_00))
    assert t.stop == 1257_00
    desk.sample(T0 + 1)
    assert journal.triggers_for(desk.triggers.day)[0]["stop"] == 1257_00
    desk.on_event(ticks(t2885=1256_95))
    assert t.state is TriggerState.FIRED


def test_combined_stop_exits_every_leg(journal) -> None:
    desk, client, _notices = wired(journal)
    opts = [i for i in desk.master.values() if i.is_option and i.name == "NIFTY"][:2] \
        if hasattr(desk.master, "values") else [i for i in desk.master if i.is_option and i.name == "NIFTY"][:2]
    if len(opts) < 2 or any(i.is_expired(desk.triggers.day) for i in opts):
        pytest.skip("the sample master has no live NIFTY options today")
    call, put = opts
    desk.on_event(ticks(**{f"t{call.token}": 200_00, f"t{put.token}": 50_00}))
    sell = desk.ledger.place(OrderRequest(call.token, Side.SELL, OrderKind.MARKET, call.lot_size))
    fill(client, sell, 200_00)
    buy = desk.ledger.place(OrderRequest(put.token, Side.BUY, OrderKind.MARKET, put.lot_size))
    fill(client, buy, 50_00)
    t = desk.triggers.protect_legs("nifty", max_loss=5_000_00)
    assert set(t.legs) == {call.token, put.token}
    before = len(client.sent)
    desk.on_event(ticks(**{f"t{call.token}": 250_00}))  # −₹3,250 × lot/65
    desk.on_event(ticks(**{f"t{call.token}": 300_00, f"t{put.token}": 20_00}))
    assert t.state is TriggerState.FIRED
    assert sorted((tok, side) for tok, side, *_ in exits(client, before)) == sorted(
        [(call.token, Side.BUY), (put.token, Side.SELL)])


def _restartable(tmp_path: Path, clock: Clock, store: MemoryStore | None = None):
    journal = Journal.open(tmp_path / "data")
    desk, _prefs, notices = make_desk(journal, store=store, clock=clock)
    return journal, desk, notices


def _ticking(desk) -> FakeClient:
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1250_00))
    return client


def test_restart_comes_back_paused_with_what_the_bars_saw(tmp_path: Path) -> None:
    clock = Clock()
    journal, desk, _notices = _restartable(tmp_path, clock)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(tick_at(T0, t2885=1250_00))
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1245_00, target=1280_00)
    desk.close()  # the app is closed at 11:40
    # the next run, at 11:50: the bars of the time in between say the stop was crossed at 11:42
    clock.at = T0 + 600
    journal, again, notices = _restartable(tmp_path, clock)
    again.ledger.restore()
    for minute, price in ((1, 1249_00), (2, 1241_00), (3, 1247_00)):
        again.on_event(tick_at(T0 + 60 * minute + 5, t2885=price))
    again.sample(clock.at)
    (back,) = again.triggers.restore()
    assert back.id == t.id and back.state is TriggerState.PAUSED
    assert back.status_text() == ("paused: not watched while the app was closed — the low of 11:42 (₹1,241.00) was "
                                  "below your stop ₹1,245.00")
    (banner,) = [p for p in of(notices, Problem) if "protective trigger" in p.message]
    assert banner.persistent and banner.message.startswith("1 protective trigger(s) paused: not watched while the app")
    client = FakeClient("B")
    again.attach(client)
    again.on_event(ticks(t2885=1240_00))
    assert client.sent == []  # paused: the trader decides
    assert again.triggers.rearm(back.id) == [back] and back.state is TriggerState.ARMED
    again.on_event(ticks(t2885=1240_00))
    assert [r.quantity for _i, r in client.sent] == [10]
    journal.close()


def test_rearm_on_start_is_the_traders_choice(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore()
    journal, desk, _notices = _restartable(tmp_path, clock, store)
    client = FakeClient()
    desk.attach(client)
    long(desk, client)
    desk.triggers.protect("2885", stop=1245_00)
    desk.close()
    store.setValue("triggers/rearm_on_start", True)
    journal, again, notices = _restartable(tmp_path, clock, store)
    again.ledger.restore()
    (back,) = again.triggers.restore()
    assert back.state is TriggerState.PAUSED and back.reason == Pause.DISCONNECTED.value  # not connected yet
    assert not any("paused" in p.message for p in of(notices, Problem))
    _ticking(again)
    assert back.state is TriggerState.ARMED  # watched from the first tick of the connection
    journal.close()


def test_a_kill_between_the_decision_and_the_send_never_makes_a_second_exit(tmp_path: Path) -> None:
    clock = Clock()
    journal, desk, _notices = _restartable(tmp_path, clock)
    client = _ticking(desk)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1245_00)

    class Killed(BaseException):
        pass

    def killed(request, source):
        raise Killed  # the process dies here: the decision is journalled, the order is not

    desk.triggers.use_placer(killed)
    with pytest.raises(Killed):
        desk.on_event(ticks(t2885=1244_00))
    journal.close()  # no orderly shutdown: the journal is what it was at the kill
    journal, again, _notices = _restartable(tmp_path, clock)
    again.ledger.restore()
    (back,) = again.triggers.restore()
    assert back.id == t.id and back.state is TriggerState.FIRED and back.orders == []
    assert "stopped before the exit was confirmed sent" in back.failed
    client = FakeClient("B")
    again.attach(client)
    for price in (1240_00, 1200_00):
        again.on_event(ticks(t2885=price))
    assert again.triggers.rearm(back.id) == []  # a fired trigger cannot be re-armed
    assert client.sent == []
    journal.close()


def test_a_firing_the_journal_cannot_take_is_not_sent_and_the_trader_is_told(journal) -> None:
    desk, client, notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1245_00)

    def full(day, rows):
        raise OSError("disk full")

    desk.triggers.store.save_triggers = full  # type: ignore[union-attr, method-assign]
    before = len(client.sent)
    desk.on_event(ticks(t2885=1244_00))
    assert len(client.sent) == before and t.state is TriggerState.FIRED and "exit by hand" in t.failed
    assert any("exit by hand" in p.message for p in of(notices, Problem))
    assert client.sent[-1][1].side is Side.BUY  # the last order on the wire is still the entry
    assert desk.ledger.records[client.sent[-1][0]].status is OrderStatus.EXECUTED


def test_an_entry_that_filled_while_the_app_was_away_comes_back_paused_and_sized(tmp_path: Path) -> None:
    clock = Clock()
    journal, desk, _notices = _restartable(tmp_path, clock)
    client = _ticking(desk)
    entry = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 8))
    t = desk.triggers.protect_entry([entry], stop=1240_00)
    # the fill reaches the journal (the exchange answered) but the app dies before the trigger hears of it
    entry.status, entry.executed_price = OrderStatus.EXECUTED, 1250_00
    journal.record_update(entry, None, None)
    journal.close()
    journal, again, _notices = _restartable(tmp_path, clock)
    again.ledger.restore()
    (back,) = again.triggers.restore()
    assert back.id == t.id and back.quantity == 8
    assert back.state is TriggerState.PAUSED and back.reason == Pause.APP_CLOSED.value
    client = FakeClient("B")
    again.attach(client)
    again.on_event(ticks(t2885=1230_00))
    assert client.sent == [] and back.state is TriggerState.PAUSED  # not watched until the trader re-arms
    journal.close()


def test_a_connection_that_drops_and_reconnects_by_itself_pauses_them_meanwhile(journal) -> None:
    from airalgo_desktop.api.events import ConnectionState, State, StateChanged

    desk, client, _notices = wired(journal)
    long(desk, client)
    t = desk.triggers.protect("2885", stop=1240_00)
    client.emit(StateChanged(ConnectionState(State.RECONNECTING, attempt=1)))
    assert t.state is TriggerState.PAUSED and t.reason == Pause.DISCONNECTED.value
    client.emit(ticks(t2885=1245_00))  # a stray tick before the rejoin does not wake it
    assert t.state is TriggerState.PAUSED
    client.emit(StateChanged(ConnectionState(State.JOINED)))
    before = len(client.sent)
    client.emit(ticks(t2885=1238_00))  # watched again from the first tick after the rejoin: it crossed, it fires
    assert t.state is TriggerState.FIRED and [r.quantity for _i, r in client.sent[before:]] == [10]
