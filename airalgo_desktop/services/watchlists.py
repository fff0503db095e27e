"""The saved watchlist tabs, without Qt: what the dock shows at start and what it saves.

A first run (or a settings file with nothing readable in it) gets the NIFTY 50 list and an empty second tab.
Which tokens actually stream is decided elsewhere (:class:`~airalgo_desktop.services.subscriptions.Subscriptions`).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WatchlistEntry:
    """One saved watchlist tab."""

    name: str
    tokens: list[str]
    selected: str | None = None  # the selected row's token: restored at start, so F1 trades a row on screen


# NIFTY 50 constituents (sample master) + NIFTY FEB 2025 FUT: the first-run watchlist
DEFAULT_TOKENS = (
    "2885", "1333", "4963", "1594", "11536", "3045", "10604", "1660", "11483", "5900", "1922", "1394", "317",
    "236", "10999", "3506", "3351", "11532", "17963", "3787", "7229", "13538", "14977", "11630", "2475", "20374",
    "3499", "3456", "11723", "1363", "1232", "25", "15083", "16675", "16669", "1348", "910", "2031", "881", "694",
    "157", "547", "3432", "5258", "21808", "467", "526", "4306", "1964", "383", "35013",
)


class WatchlistPrefs(Protocol):
    """Where the tabs are kept (``settings.Prefs``; a fake in tests)."""

    @property
    def active_watchlist(self) -> int: ...
    def watchlists(self) -> list[WatchlistEntry]: ...
    def save_watchlists(self, lists: list[WatchlistEntry], active: int) -> None: ...


class WatchlistBook:
    """Loads and saves the watchlist tabs through the preferences."""

    def __init__(self, prefs: WatchlistPrefs, known: Container[str]) -> None:
        self.prefs = prefs
        self.known = known  # the instrument master: the default list keeps only tokens it has

    def defaults(self) -> list[WatchlistEntry]:
        """The first-run tabs."""
        known = self.known
        loading = hasattr(known, "__len__") and not len(known)  # type: ignore[arg-type]  # master not read yet
        return [WatchlistEntry("NIFTY 50", [t for t in DEFAULT_TOKENS if loading or t in known]),
                WatchlistEntry("Watchlist 2", [])]

    def load(self) -> tuple[list[WatchlistEntry], int]:
        """The saved tabs (or the defaults) and the index of the active one, within range."""
        lists = self.prefs.watchlists() or self.defaults()
        return lists, min(self.prefs.active_watchlist, len(lists) - 1)

    def save(self, lists: list[WatchlistEntry], active: int) -> None:
        """Remember the tabs, their tokens in order, and the active tab."""
        self.prefs.save_watchlists(lists, active)
