"""The alert watch: alerts fire once, are saved before anyone is told, and are edited only through the part."""

from __future__ import annotations

from airalgo_desktop.desk import (
    AlertFired,
    AlertWatch,
)
from airalgo_desktop.services.alerts import Alert, Direction
from airalgo_desktop.settings import MemoryStore, Prefs
from tests.desk.fakes import FakeClient, context, make_desk, of, ticks


def test_alerts_fire_once_and_persist_through_prefs() -> None:
    store = MemoryStore()
    desk, prefs, notices = make_desk(store=store)
    client = FakeClient()
    desk.attach(client)
    desk.alerts.add(Alert("2885", Direction.ABOVE, 1_250_00))
    assert len(prefs.load_alerts().alerts) == 1
    client.emit(ticks(t2885=1_240_00))  # the reference tick
    client.emit(ticks(t2885=1_251_00))  # crosses
    client.emit(ticks(t2885=1_240_00))
    client.emit(ticks(t2885=1_260_00))  # would cross again: an alert fires once
    fired = of(notices, AlertFired)
    assert len(fired) == 1 and "crossed above ₹1,250.00" in fired[0].text
    saved = prefs.load_alerts().alerts[0]
    assert saved.fired_at == 5000.0
    reloaded, _prefs, again = make_desk(store=store)  # a restart: fired stays fired
    client2 = FakeClient("B")
    reloaded.attach(client2)
    client2.emit(ticks(t2885=1_240_00))
    client2.emit(ticks(t2885=1_270_00))
    assert not of(again, AlertFired)


def test_the_watch_alone_edits_and_deletes_only_through_its_methods() -> None:
    """An edit re-arms the alert (fired, reference cleared) and is saved; a deletion is saved; only live alerts'
    tokens are watched."""
    prefs = Prefs(MemoryStore())
    ctx, bus = context(prefs=prefs)
    watch = AlertWatch(ctx)
    alert = watch.add(Alert("2885", Direction.ABOVE, 1_250_00))
    other = watch.add(Alert("1333", Direction.BELOW, 500_00))
    watch.on_event(ticks(t2885=1_240_00))
    watch.on_event(ticks(t2885=1_260_00))
    assert of(bus.notices, AlertFired) and watch.tokens == {"1333"}
    watch.update(alert.id, Alert("2885", Direction.ABOVE, 1_300_00, note="again"))
    assert watch.tokens == {"2885", "1333"} and prefs.load_alerts().alerts[0].price == 1_300_00
    assert watch.book.alerts[0].id == alert.id and watch.book.alerts[0].fired_at is None
    watch.remove([other.id])
    assert [a.id for a in prefs.load_alerts().alerts] == [alert.id] and watch.tokens == {"2885"}
