"""The instrument book: the run's instrument master (load, import, atomic swap) and what each token of interest
meant to the trader when they put it on screen (labels, persisted), so a new master marks a row whose token
vanished, changed meaning or expired instead of relabelling it silently.

It publishes :class:`InstrumentsChanged` after every load or swap and :class:`MasterNeeded` when a real account
has no master. Other parts name their rows of interest with :meth:`InstrumentBook.add_interest` (the hub wires
positions and alerts); they learn of a new master from the notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ..domain.nsetime import now_ist, trading_day_on_or_before
from ..domain.wording import plural
from ..instruments import Catalog
from .notices import InstrumentsChanged, MasterNeeded
from .part import DeskContext, Part


def staleness(meta: dict[str, Any], today: date) -> str | None:
    """``"master from 3 days ago — refresh"`` when the master predates the last trading day, else None."""
    from ..store.instruments import master_date

    day = master_date(meta)
    if day is None or day >= trading_day_on_or_before(today):  # exchange holidays are not known here
        return None
    days = (today - day).days
    return f"Instrument master from {plural(days, 'day')} ago — refresh it (File → Import " \
           "instrument master…): new contracts are missing and NSE reuses tokens of expired ones."


class InstrumentBook(Part):
    """The master of the run and the remembered meaning of the tokens on screen."""

    def __init__(self, ctx: DeskContext, *, data_dir: Path | None = None, demo: bool = True) -> None:
        self.ctx = ctx
        self.master = ctx.master
        self.data_dir = data_dir
        self.demo = demo
        # what each token of interest last meant on screen (persisted): a new master never relabels silently
        labels = getattr(ctx.prefs, "instrument_labels", None)
        self.labels: dict[str, str] = dict(labels()) if labels else {}
        self.marks: dict[str, str] = {}  # token → why its row is marked (vanished, changed meaning, expired)
        self._interest: list[Callable[[], Iterable[str]]] = []

    def add_interest(self, tokens: Callable[[], Iterable[str]]) -> None:
        """Rows of interest beyond the ones the caller names at a recheck (open positions, alerts)."""
        self._interest.append(tokens)

    async def load_master(self, tokens: Iterable[str] = ()) -> None:
        """Read the stored master off the loop (live mode) and swap it in; without one, ask for one."""
        if self.demo or self.data_dir is None:
            marks = self.recheck(tokens)
            self.ctx.publish(InstrumentsChanged(f"Demo universe: {len(self.master):,} instruments", [], marks))
            return
        from ..instruments.importer import load_stored
        from ..store.instruments import StoreError

        data_dir = self.data_dir

        def read() -> Catalog | None:
            catalog = load_stored(data_dir)
            if catalog is not None:
                catalog.prepare()
            return catalog

        try:
            catalog = await asyncio.to_thread(read)
        except StoreError as exc:
            self.master.meta = {}
            self.ctx.publish(MasterNeeded(f"{exc}."))
            return
        if catalog is None:
            self.master.meta = {}
            self.ctx.publish(MasterNeeded(
                "No instrument master yet. With a real account the app needs your broker's master (Kite, "
                "Upstox, Angel One, Dhan or Fyers; a file or its URL) to know which token is which contract — "
                "the demo sample's tokens would subscribe and order the wrong instruments."))
            return
        self.swap(catalog, tokens, imported=False)

    async def import_master(self, sources: str | list[str], tokens: Iterable[str] = (), fmt: str | None = None, *,
                            cancel: Any = None, progress: Callable[[float, str], None] | None = None,
                            allow_insecure: bool = False) -> InstrumentsChanged:
        """Import a master into the store — in a child process, so the parse's memory is never the app's — and swap
        it in (replaces, never merges). Raises ``MasterError``/``ImportCancelled`` with nothing changed."""
        from ..instruments.importer import import_in_child

        if self.data_dir is None:
            raise RuntimeError("the desk has no data dir")
        sources = [sources] if isinstance(sources, str) else list(sources)
        outcome = await asyncio.to_thread(import_in_child, sources, self.data_dir, fmt, cancel=cancel,
                                          progress=progress, allow_insecure=allow_insecure)
        await asyncio.to_thread(outcome.catalog.prepare)
        self.demo = False
        return self.swap(outcome.catalog, tokens, imported=True, details=outcome.lines())

    def swap(self, catalog: Catalog, tokens: Iterable[str], *, imported: bool,
             details: list[str] | None = None) -> InstrumentsChanged:
        """Put ``catalog`` in place of the master (in place: every holder sees it), mark the rows of interest and
        publish what changed."""
        self.master.replace(catalog)
        marks = self.recheck(tokens)
        meta = catalog.meta
        summary = (f"{len(catalog):,} instruments from {meta.get('source', 'the stored master')} "
                   f"(imported {str(meta.get('imported_at', '?'))[:16].replace('T', ' ')})")
        notice = InstrumentsChanged(summary, details or [], marks, staleness(meta, now_ist().date()), imported)
        self.ctx.publish(notice)
        return notice

    def remember(self, token: str) -> None:
        """The trader put ``token`` on screen (added it): what it means now is what it meant to them."""
        inst = self.master.get(token)
        if inst is not None:
            self.labels[token] = inst.display
            self.marks.pop(token, None)
            self._save_labels()

    def recheck(self, tokens: Iterable[str]) -> dict[str, str]:
        """Mark rows of interest whose token vanished, changed meaning or expired (never relabel them silently)."""
        tokens = set(tokens).union(*(interest() for interest in self._interest))
        today = now_ist().date()
        self.marks.clear()
        for gone in [t for t in self.labels if t not in tokens]:  # in place: the watchlists share the dict
            del self.labels[gone]
        for token in tokens:
            inst = self.master.get(token)
            before = self.labels.get(token)
            if inst is None:
                if not self.master.meta.get("loading"):
                    self.marks[token] = (f"Token {token} is not in the instrument master"
                                         + (f" (it was {before})" if before else "") + ": remove the row.")
            elif before and before != inst.display:
                self.marks[token] = (f"Token {token} now means {inst.display}; it was {before} when you added it. "
                                     "Remove the row and add the contract you want.")
            else:
                self.labels[token] = inst.display
                expired = inst.expired_message(today)
                if expired:
                    self.marks[token] = f"{expired}: it cannot be traded."
        self._save_labels()
        return dict(self.marks)

    def label(self, token: str) -> str | None:
        """What a marked row shows: the meaning the trader saw (never the new meaning of a reused token)."""
        return self.labels.get(token)

    def _save_labels(self) -> None:
        save = getattr(self.ctx.prefs, "save_instrument_labels", None)
        if save is not None:
            save(self.labels)
