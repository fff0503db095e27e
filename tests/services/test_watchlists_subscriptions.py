"""Watchlist persistence and subscription diffing, without Qt (issue 13)."""

from __future__ import annotations

import sys

from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.subscriptions import Subscriptions
from airalgo_desktop.services.watchlists import DEFAULT_TOKENS, WatchlistBook, WatchlistEntry
from airalgo_desktop.settings import MemoryStore, Prefs


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def subscribe(self, tokens) -> None:
        self.calls.append(("sub", list(tokens)))

    def unsubscribe(self, tokens) -> None:
        self.calls.append(("unsub", list(tokens)))


def test_first_run_defaults_then_saved_tabs_and_active_index() -> None:
    store = MemoryStore()
    book = WatchlistBook(Prefs(store), load_sample())
    lists, active = book.load()
    assert [w.name for w in lists] == ["NIFTY 50", "Watchlist 2"] and active == 0
    assert lists[0].tokens == list(DEFAULT_TOKENS)
    book.save([WatchlistEntry("Banks", ["1333", "4963"]), WatchlistEntry("Empty", [])], 5)
    lists, active = WatchlistBook(Prefs(store), load_sample()).load()
    assert lists == [WatchlistEntry("Banks", ["1333", "4963"]), WatchlistEntry("Empty", [])]
    assert active == 1  # clamped to the tabs there are
    assert "PySide6" not in {m.split(".")[0] for m in sys.modules if m.startswith("airalgo_desktop.services")}


def test_subscriptions_union_across_owners_and_a_fresh_client() -> None:
    subs = Subscriptions()
    subs.want("watchlist", ["22", "2885", "22"])
    first = Recorder()
    subs.attach(first)
    assert first.calls == [("sub", ["22", "2885"])]
    subs.want("chain", ["2885", "1333"])
    subs.want("watchlist", ["22"])
    assert first.calls[1:] == [("sub", ["1333"])]  # 2885 stays: the chain wants it
    subs.drop("chain")
    assert first.calls[2:] == [("unsub", ["1333", "2885"])]
    subs.detach()
    second = Recorder()
    subs.attach(second)
    assert second.calls == [("sub", ["22"])] and subs.wanted_by("watchlist") == ("22",)
