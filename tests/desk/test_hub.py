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
    TradingDesk,
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
    code = "import sys, airalgo_desktop.desk, airalgo_desktop.settings; print(any(m.startswith('PySide6') " \
           "for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_notice_lists_every_notice_and_views_can_register_by_type() -> None:
    import dataclasses
    import typing

    from airalgo_desktop.desk import notices

    defined = {obj for obj in vars(notices).values()
               if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == notices.__name__}
    assert set(typing.get_args(notices.Notice)) == defined and notices.BarsRestored in defined
    desk, _prefs, _notices = make_desk()
    seen: list = []
    listener = desk.on(Problem, seen.append)
    desk.publish(KeyNeeded("x"))
    desk.publish(Problem("y"))
    desk.remove_listener(listener)
    desk.publish(Problem("z"))
    assert [p.message for p in seen] == ["y"]


def test_the_hub_stays_a_hub_and_parts_never_hold_it() -> None:
    """TradingDesk ≤ 15 methods; every part in a file of its own, none above ~300 lines, none importing the hub."""
    import ast
    import inspect
    from pathlib import Path

    import airalgo_desktop.desk as package

    methods = [n for n, v in vars(TradingDesk).items() if inspect.isfunction(v) or isinstance(v, classmethod)]
    assert len(methods) <= 15, methods
    for path in Path(package.__file__).parent.glob("*.py"):
        if path.name in ("hub.py", "__init__.py"):
            continue
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 300, path.name
        imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
        assert "hub" not in imported and "PySide6" not in str(imported), path.name


def test_close_shuts_the_parts_in_reverse_order(journal) -> None:
    desk, _prefs, _notices = make_desk(journal)
    order: list[str] = []
    desk.pnl.bars.close = lambda: order.append("bars")  # type: ignore[method-assign]
    journal_close = journal.close
    journal.close = lambda: (order.append("journal"), journal_close())  # type: ignore[method-assign]
    desk.close()
    assert order == ["bars", "journal"]  # the running minute is written before the journal is checkpointed
