"""The hub: the notice bus, the connection life cycle, ticks into the store, the parts' hooks (no Qt, no socket)."""

from __future__ import annotations

import subprocess
import sys

from airalgo_desktop.api.events import (
    ConnectionState,
    FeedStale,
    State,
    StateChanged,
)
from airalgo_desktop.desk import (
    FirstTick,
    KeyNeeded,
    Part,
    Problem,
)
from tests.desk.fakes import FakeClient, make_desk, of, ticks


def test_ticks_connection_problems_and_subscriptions() -> None:
    desk, _prefs, notices = make_desk()
    desk.subscriptions.want("watchlist", ["2885", "1333"])
    client = FakeClient()
    desk.attach(client)
    assert client.streaming == {"2885", "1333"}
    desk.subscriptions.want("chain", ["1333", "3045"])
    desk.subscriptions.want("watchlist", ["2885"])
    assert client.streaming == {"2885", "1333", "3045"}  # 1333 stays: the chain still wants it
    seen: list = []

    class Watcher(Part):  # the extension point: a part sees every client event, ticks already in the store
        def on_event(self, event) -> None:  # type: ignore[no-untyped-def]
            seen.append((event, desk.store.ltp("2885")))

    desk.add_part(Watcher())
    client.emit(ticks(t2885=100_00))
    client.emit(ticks(t2885=101_00))
    assert desk.store.ltp("2885") == 101_00 and len(of(notices, FirstTick)) == 1
    assert [ltp for _event, ltp in seen] == [100_00, 101_00]
    client.emit(StateChanged(ConnectionState(State.AUTH_FAILED, reason="bad key")))
    assert of(notices, KeyNeeded)[0].message == "bad key"
    client.emit(FeedStale(12.0))
    assert "No ticks for 12 s" in of(notices, Problem)[0].message


def test_importing_the_desk_loads_no_qt() -> None:
    code = "import sys, airalgo_desktop.desk, airalgo_desktop.ui.prefs; print(any(m.startswith('PySide6') " \
           "for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
