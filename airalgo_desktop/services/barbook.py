"""The desk's bars: the builder (today, live) joined to the bar store (today's restored minutes and earlier days),
and the day's P&L curve rebuilt from fills marked to each bar's close. Qt-free.

The desk calls :meth:`BarBook.on_ticks` from its tick handler (an append), :meth:`BarBook.poll` from a timer a few
times a second (apply pending ticks, hand sealed minutes to the store's writer thread), :meth:`BarBook.restore`
once at start-up in a worker thread, and :meth:`BarBook.close` on the way out. Charts read :meth:`BarBook.bars`.

The UI thread never touches ``bars.db``: earlier days are read by a worker (:meth:`BarBook.history` answers with
what it has and asks for the rest; :attr:`BarBook.version` moves when it arrives, so the chart redraws), and sealed
minutes go to the store's writer thread. Another program's lock on the file therefore costs the chart its earlier
days for a while, never the window its responsiveness (``benchmarks/bars_lock.py`` measures the stall).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.bars import Bars, Frame, day_number
from ..domain.money import Paisa
from ..store.bars import BarStore
from .bars import BarBuilder
from .positions import Fill, PositionBook

log = logging.getLogger("airalgo.services.barbook")
MAX_WAITING = 200_000  # ticks held for the start-up restore at most (≈ 4 s at 50,000 updates/s, ≈ 40 MB)
RETRY_HISTORY_S = 5.0  # a history read the file refused (another program's lock) is asked again after this


class BarBook:
    """Bars of every ticking token, today's live and earlier days' stored; what charts read."""

    def __init__(self, folder: Path | None, *, keep_days: int = 30, history_days: int = 5,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.keep_days = keep_days
        self.history_days = history_days  # earlier sessions a chart shows left of today
        self.clock = clock
        self.builder = BarBuilder(clock=clock)
        # with a folder, nothing is applied until restore() (a worker thread) has put the day back; without one
        # there is nothing to restore
        self.builder.auto_flush = folder is None
        self.store: BarStore | None = None
        self.notice: str | None = None
        self.restored = threading.Event()
        if folder is None:
            self.restored.set()
        self._history: dict[tuple[str, int, int], Bars] = {}  # (token, today, days) → earlier days
        self._lock = threading.Lock()
        self._reader: ThreadPoolExecutor | None = None  # reads earlier days off the UI thread
        self._loading: dict[tuple[str, int, int], float] = {}  # asked (or refused) at this monotonic time
        self._loaded = 0  # earlier-day reads that arrived (part of :attr:`version`)

    # ------------------------------------------------------------------ life cycle
    def restore(self) -> int:
        """Open the store and put today's stored minutes back (run in a worker thread: it does disk I/O). Ticks
        that arrive meanwhile wait in the builder's pending list. Returns minutes restored. Housekeeping (pruning,
        compacting earlier days) is :meth:`maintain`, run afterwards so the chart does not wait for it."""
        if self.folder is None:
            self.builder.auto_flush = True
            self.restored.set()
            return 0
        try:
            store = BarStore.open(self.folder, self.keep_days)
            today = day_number(self.clock())
            minutes = store.load_day(today)
            with self._lock:
                self.builder.restore(minutes)
            self.store = store
            self.notice = store.notice
            return len(minutes)
        except Exception:  # the chart must never take the app down: bars then live in memory only
            log.exception("bar store: restore failed; bars are kept in memory only this session")
            self.notice = "The chart's bar store could not be opened; today's bars will not survive a restart."
            return 0
        finally:
            self.builder.auto_flush = True
            self.restored.set()

    def maintain(self) -> None:
        """Prune days older than ``keep_days`` and compact earlier days per token (worker thread, after
        :meth:`restore`)."""
        store = self.store
        if store is None:
            return
        try:
            store.maintain(day_number(self.clock()))
        except Exception:  # housekeeping failing must not cost the session its bars
            log.exception("bar store: housekeeping failed")

    def close(self) -> None:
        """Seal every minute (the open one too), write, close the store."""
        with self._lock:
            self.builder.seal_all()
            sealed = self.builder.take_sealed()
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
            self._reader = None
        if self.store is not None:
            self.store.drain()
            self.store.save(sealed)
            self.store.close()
            self.store = None

    def take_problems(self) -> list[str]:
        """Sentences for the banner since the last call (the store's write faults, rows it left out); called from the
        UI thread a few times a second (cheap)."""
        store = self.store
        return store.take_problems() if store is not None else []

    # ------------------------------------------------------------------ feeding
    def on_ticks(self, quotes: dict[str, dict[str, Any]]) -> None:
        """From the tick handler: an append (the work happens in :meth:`poll`)."""
        self.builder.on_ticks(quotes)
        if not self.builder.auto_flush and self.builder.pending > MAX_WAITING:
            # the restore never came (or is stuck on a slow disk): build bars anyway rather than grow without end
            log.warning("bar store: no restore after %d ticks; building bars without it", self.builder.pending)
            self.builder.auto_flush = True

    def poll(self) -> None:
        """Apply pending ticks, seal what the feed clock passed and queue it for the store. Until the start-up
        restore is done nothing is applied (a restored minute must not be overwritten by half a minute of ticks)."""
        if not self.restored.is_set():
            return
        with self._lock:
            self.builder.flush()
            sealed = self.builder.take_sealed()
        if sealed and self.store is not None:
            self.store.submit(sealed)

    # ------------------------------------------------------------------ reading
    @property
    def today(self) -> int:
        """The IST day the builder holds (the wall clock's before any tick)."""
        return self.builder.day if self.builder.day is not None else day_number(self.clock())

    def history(self, token: str, days: int | None = None, *, wait: bool = False) -> Bars:
        """Earlier sessions of ``token`` from the store, at most ``days`` (default :attr:`history_days`) — cached:
        they do not change during the day. Never waits for the file unless ``wait`` (tests, tools): what is not read
        yet is asked of the reader thread and comes with a later :attr:`version`; meanwhile it is empty."""
        days = self.history_days if days is None else days
        key = (token, self.today, days)
        bars = self._history.get(key)
        if bars is not None:
            return bars
        if self.store is None or not self.restored.is_set():
            return Bars.empty()
        if wait:
            return self._read_history(key) or Bars.empty()
        with self._lock:
            asked = self._loading.get(key)
            if asked is not None and time.monotonic() - asked < RETRY_HISTORY_S:
                return Bars.empty()  # being read, or refused a moment ago
            self._loading[key] = time.monotonic()
            if self._reader is None:
                self._reader = ThreadPoolExecutor(1, thread_name_prefix="bar-history")
            reader = self._reader
        reader.submit(self._read_history, key)
        return Bars.empty()

    def _read_history(self, key: tuple[str, int, int]) -> Bars | None:
        store = self.store
        if store is None:
            return None
        bars = store.read_history(key[0], key[1], key[2])
        if bars is None:  # busy or failing: asked again after RETRY_HISTORY_S
            log.warning("bar store: earlier days of %s not readable now; asked again later", key[0])
            return None
        self._history[key] = bars
        with self._lock:
            self._loading.pop(key, None)
            self._loaded += 1
        return bars

    def wait_history(self, timeout: float = 10.0) -> bool:
        """Wait until every asked earlier-day read has arrived (tests, tools); True when none is outstanding."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                outstanding = [k for k in self._loading if k not in self._history]
            if not outstanding:
                return True
            time.sleep(0.005)
        return False

    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        """Earlier sessions then today, in ``frame`` (the daily frame reaches back every kept day, intraday frames
        :attr:`history_days` sessions)."""
        if self.restored.is_set():
            with self._lock:
                today = self.builder.bars(token)
        else:
            today = Bars.empty()
        days = self.keep_days if frame is Frame.DAY else None
        return Bars.concat((self.history(token, days), today)).resample(frame)

    def previous_close(self, token: str) -> Paisa | None:
        """The last close before today (from the store), or None."""
        history = self.history(token, 1)
        return int(history.close[-1]) if len(history) else None

    @property
    def version(self) -> int:
        """Changes whenever ticks were applied (charts redraw only then)."""
        return self.builder.ticks + self.builder.sealed_upto + self._loaded


def day_pnl_curve(fills: Iterable[Fill], bars_of: Callable[[str], Bars], since: float | None = None,
                  now: float | None = None) -> list[tuple[float, Paisa]]:
    """The day's P&L at each minute's close: every fill up to the end of that minute, marked to the close of each
    traded instrument's latest bar (at cost before its first bar). Used to rebuild the Day P&L curve after a
    restart; ``since`` drops bars before that time (the start of the IST day); the point of a minute still running
    is stamped ``now`` rather than its future end, so live samples can follow in time order."""
    fills = sorted(fills, key=lambda f: f.at)
    if not fills:
        return []
    tokens = sorted({f.token for f in fills})
    series = {t: bars_of(t) for t in tokens}
    times = np.unique(np.concatenate([s.time for s in series.values()] + [np.zeros(0, np.int64)]))
    if since is not None:
        times = times[times >= since]
    book = PositionBook()
    marks: dict[str, Paisa] = {}
    cursor = {t: 0 for t in tokens}
    out: list[tuple[float, Paisa]] = []
    i = 0
    for start in times.tolist():
        end = start + 60
        while i < len(fills) and fills[i].at < end:
            book.add(fills[i])
            i += 1
        for token, s in series.items():
            k = cursor[token]
            while k < len(s) and s.time[k] <= start:
                marks[token] = int(s.close[k])
                k += 1
            cursor[token] = k
        if book.positions:
            out.append((float(end if now is None else min(end, now)), book.total(marks)))
    return out
