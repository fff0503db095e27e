"""The bar store: every token's one-minute bars on disk (``bars.db`` in the data folder), so a restart keeps the
chart up to the moment the app stopped and earlier days stay readable for ``keep_days`` (default 30).

SQLite, WAL, ``synchronous=NORMAL``: bars can be rebuilt from nothing but they cannot be re-fetched (the API has no
history), so they must survive an app crash — which WAL in NORMAL mode guarantees; a power cut may lose the last
minute or two, which is not worth an fsync per minute.

Layout, chosen for the two reads that matter:

* ``minutes`` — one row per sealed minute of the current days: the tokens that traded (text) and their
  open/high/low/close (int32), volume (int64) and Σ price×qty (float64) as one packed blob. Writing a minute of
  1,000 tokens is one row, and reading a whole day back on start (375 minutes × 1,000 tokens) is 375 rows and a
  ``frombuffer`` each (``bars_restore_s``), not 375,000 Python tuples.
* ``days`` — finished days compacted to one row per (token, day): the chart's read of one token's past sessions is
  then one row a day. Compaction of earlier days runs on open (off the UI thread, like every call here but
  :meth:`submit`).

Minutes without ticks (or while the app was closed) have no row, so they read back as a gap, never as an invented
line. A damaged file is moved aside (never deleted) and a fresh one started, with a ``notice`` for the banner — as
the order journal does.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.bars import Bars, SealedMinute, day_start, number_of
from .sqlitefile import DamagedData, is_corrupt, is_locked, move_aside, parallel_path

log = logging.getLogger("airalgo.store.bars")

FILE_NAME = "bars.db"
SCHEMA_VERSION = 1
SCHEMA = """
    CREATE TABLE IF NOT EXISTS minutes (
        day INTEGER NOT NULL,          -- IST day number (days since 1970-01-01)
        minute INTEGER NOT NULL,       -- minute of the IST day, 0…1439
        tokens TEXT NOT NULL,          -- newline-separated
        data BLOB NOT NULL,            -- o,h,l,c int32[n] · volume int64[n] · pv float64[n]
        PRIMARY KEY (day, minute)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS days (
        token TEXT NOT NULL,
        day INTEGER NOT NULL,
        data BLOB NOT NULL,            -- minute int16[n] · o,h,l,c int32[n] · volume int64[n] · pv float64[n]
        PRIMARY KEY (token, day)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS days_by_day ON days(day);
"""


def _pack_minute(item: SealedMinute) -> bytes:
    return b"".join((item.open.astype("<i4").tobytes(), item.high.astype("<i4").tobytes(),
                     item.low.astype("<i4").tobytes(), item.close.astype("<i4").tobytes(),
                     item.volume.astype("<i8").tobytes(), item.pv.astype("<f8").tobytes()))


def _unpack_columns(data: bytes, n: int, layout: tuple[str, ...]) -> list[np.ndarray]:
    out, offset = [], 0
    if len(data) != sum(np.dtype(d).itemsize for d in layout) * n:
        raise DamagedData(f"bar blob of {len(data)} bytes does not hold {n} bars")
    for dtype in layout:
        width = np.dtype(dtype).itemsize * n
        out.append(np.frombuffer(data, dtype, n, offset))
        offset += width
    return out


_MINUTE_LAYOUT = ("<i4", "<i4", "<i4", "<i4", "<i8", "<f8")
_DAY_LAYOUT = ("<i2", *_MINUTE_LAYOUT)


class NewerSchema(sqlite3.DatabaseError):
    """The file was written by a newer version of the app: it is not changed."""


class BarStore:
    """``bars.db``: write sealed minutes, read a day back, read a token's earlier days, prune old days.

    Thread-safe (one connection behind a lock), so the desk can hand writes to :meth:`submit` (a writer thread)
    and do the start-up read in ``asyncio.to_thread``."""

    def __init__(self, path: Path, keep_days: int = 30) -> None:
        self.path = path
        self.keep_days = keep_days
        self.notice: str | None = None
        self.db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[SealedMinute] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self.minutes_written = 0

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path, keep_days: int = 30) -> BarStore:
        """Open (or create) ``folder/bars.db``. Damaged → moved aside, fresh file; held by another window or written
        by a newer app → this session uses its own file; a full disk or read-only folder → no file at all (bars live
        in memory this session). Each case leaves a ``notice``; nothing is ever deleted."""
        store = cls(folder / FILE_NAME, keep_days)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            store._connect()
        except (sqlite3.Error, OSError) as exc:
            store._recover(exc)
        return store

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise NewerSchema(f"bar store schema {version} is newer than this app ({SCHEMA_VERSION})")
            if version < SCHEMA_VERSION:
                db.executescript(f"BEGIN IMMEDIATE;{SCHEMA};PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
            db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM minutes LIMIT 1)").fetchone()
        except Exception:
            db.close()
            raise
        self.db = db

    def _recover(self, exc: BaseException) -> None:
        try:
            if is_locked(exc) or isinstance(exc, NewerSchema):
                fresh = parallel_path(self.path)
                why = "is locked by another program" if is_locked(exc) else f"is newer ({exc})"
                self.notice = f"The bar store {self.path.name} {why}. This session keeps its bars in {fresh.name}."
                self.path = fresh
            elif is_corrupt(exc):
                aside = move_aside(self.path)
                self.notice = (f"The chart's bar store could not be read ({exc}). It was kept as {aside.name}; a "
                               "fresh one was started, so earlier bars are not shown.")
            else:
                raise exc
            log.error("bar store: %s", self.notice)
            self._connect()
        except (sqlite3.Error, OSError) as final:  # full disk, read-only folder: not damage, leave the file be
            self.db = None
            self.notice = (f"The chart's bar store {self.path} cannot be used ({final}). Bars are kept in memory "
                           "for this session only; the file was left as it is.")
            log.error("bar store: %s", self.notice)

    def _guarded(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` under the lock (None without a file). Damage found while reading sets the file aside (fresh
        file); any other failure (full disk, busy) is logged and the call returns None."""
        with self._lock:
            if self.db is None:
                return None
            try:
                return fn(*args)
            except sqlite3.Error as exc:
                log.error("bar store: %s failed: %s", what, exc)
                if is_corrupt(exc):
                    with contextlib.suppress(sqlite3.Error):
                        self.db.close()
                    self.db = None
                    self._recover(exc)
                return None

    def close(self) -> None:
        """Finish pending writes, checkpoint, close."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=10)
            self._writer = None
        with self._lock:
            if self.db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self.db.close()
                self.db = None

    # ------------------------------------------------------------------ writes
    def save(self, minutes: Iterable[SealedMinute]) -> None:
        """Write sealed minutes (one row each, one transaction); a minute written again replaces the old row."""
        rows = [(m.day, m.minute, "\n".join(m.tokens), _pack_minute(m)) for m in minutes if m.tokens]
        if not rows:
            return

        def write() -> None:
            assert self.db is not None
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT OR REPLACE INTO minutes (day, minute, tokens, data) VALUES (?,?,?,?)",
                                    rows)
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            self.minutes_written += len(rows)

        self._guarded("write", write)

    def submit(self, minutes: list[SealedMinute]) -> None:
        """Queue sealed minutes for the writer thread (never blocks the caller)."""
        if not minutes:
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="bar-store", daemon=True)
            self._writer.start()
        self._queue.put(minutes)

    def _write_loop(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            try:
                self.save(batch)
            except Exception:  # a full disk must not kill the thread: the bars stay in memory for the day
                log.exception("bar store: write failed")

    def drain(self) -> None:
        """Wait until queued writes are on disk (tests, shutdown)."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=10)
            self._writer = None

    # ------------------------------------------------------------------ reads
    def load_day(self, day: int) -> list[SealedMinute]:
        """Every stored minute of IST day number ``day``, oldest first (for :meth:`BarBuilder.restore`)."""

        def read() -> list[SealedMinute]:
            assert self.db is not None
            out = []
            for minute, tokens, data in self.db.execute(
                    "SELECT minute, tokens, data FROM minutes WHERE day=? ORDER BY minute", (day,)):
                names = tokens.split("\n")
                o, h, lo, c, v, pv = _unpack_columns(data, len(names), _MINUTE_LAYOUT)
                out.append(SealedMinute(day, minute, names, o, h, lo, c, v, pv))
            return out

        return self._guarded("read day", read) or []

    def compact(self, before: int) -> int:
        """Turn the minute rows of days before ``before`` into one row per (token, day); returns days compacted."""

        def days_left() -> list[int]:
            assert self.db is not None
            return [d for (d,) in self.db.execute("SELECT DISTINCT day FROM minutes WHERE day < ?", (before,))]

        done = 0
        for day in self._guarded("list days", days_left) or []:
            minutes = self.load_day(day)
            self._guarded("compact", self._compact_day, day, minutes)
            done += 1
        return done

    def _compact_day(self, day: int, minutes: list[SealedMinute]) -> None:
        assert self.db is not None
        rows = []
        if minutes:
            names = [t for m in minutes for t in m.tokens]
            codes: dict[str, int] = {}
            code = np.fromiter((codes.setdefault(t, len(codes)) for t in names), np.int64, len(names))
            minute = np.repeat([m.minute for m in minutes], [len(m.tokens) for m in minutes]).astype("<i2")
            cols = [np.concatenate([getattr(m, name) for m in minutes]).astype(dtype)
                    for name, dtype in zip(("open", "high", "low", "close", "volume", "pv"), _MINUTE_LAYOUT,
                                           strict=True)]
            order = np.argsort(code, kind="stable")  # stable: each token's minutes stay in time order
            code, minute, cols = code[order], minute[order], [c[order] for c in cols]
            starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
            ends = np.r_[starts[1:], len(code)]
            by_code = list(codes)
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                rows.append((by_code[code[s]], day, minute[s:e].tobytes() + b"".join(c[s:e].tobytes() for c in cols)))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR REPLACE INTO days (token, day, data) VALUES (?,?,?)", rows)
            self.db.execute("DELETE FROM minutes WHERE day=?", (day,))
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def history(self, token: str, before: int, days: int = 30) -> Bars:
        """One-minute bars of ``token`` on the stored days before IST day ``before`` (at most ``days`` of them,
        oldest first). Minute rows of days not compacted yet are read too."""

        def read() -> Bars:
            assert self.db is not None
            parts: dict[int, Bars] = {}
            for day, data in self.db.execute(
                    "SELECT day, data FROM days WHERE token=? AND day<? ORDER BY day DESC LIMIT ?",
                    (token, before, days)):
                n = len(data) // 34
                minute, o, h, lo, c, v, pv = _unpack_columns(data, n, _DAY_LAYOUT)
                parts[day] = Bars(day_start(day) + minute.astype(np.int64) * 60, o.astype(np.int64),
                                  h.astype(np.int64), lo.astype(np.int64), c.astype(np.int64), v.astype(np.int64),
                                  pv.astype(np.float64))
            for (day,) in self.db.execute("SELECT DISTINCT day FROM minutes WHERE day<?", (before,)).fetchall():
                times, cols = [], []
                for minute, tokens, data in self.db.execute(
                        "SELECT minute, tokens, data FROM minutes WHERE day=? ORDER BY minute", (day,)):
                    names = tokens.split("\n")
                    if token not in names:
                        continue
                    j = names.index(token)
                    values = _unpack_columns(data, len(names), _MINUTE_LAYOUT)
                    times.append(day_start(day) + minute * 60)
                    cols.append([col[j] for col in values])
                if times:
                    arr = np.array(cols, dtype=np.float64)
                    parts[day] = Bars(np.array(times, np.int64), *(arr[:, k].astype(np.int64) for k in range(5)),
                                      arr[:, 5])
            keep = sorted(parts)[-days:]
            return Bars.concat(parts[d] for d in keep)

        result = self._guarded("read history", read)
        return result if result is not None else Bars.empty()

    def previous_close(self, token: str, before: int) -> int | None:
        """The last stored close of ``token`` before IST day ``before`` (paisa), or None."""
        bars = self.history(token, before, days=1)
        return int(bars.close[-1]) if len(bars) else None

    def days(self) -> list[int]:
        """IST day numbers that have bars, oldest first."""

        def read() -> list[int]:
            assert self.db is not None
            return [d for (d,) in self.db.execute(
                "SELECT day FROM minutes UNION SELECT day FROM days ORDER BY 1")]

        return self._guarded("list days", read) or []

    def prune(self, today: int, keep_days: int | None = None) -> int:
        """Delete days older than ``keep_days`` calendar days before ``today``; returns rows deleted."""
        keep = self.keep_days if keep_days is None else keep_days
        cutoff = today - keep

        def delete() -> int:
            assert self.db is not None
            self.db.execute("BEGIN IMMEDIATE")
            try:
                n = self.db.execute("DELETE FROM minutes WHERE day < ?", (cutoff,)).rowcount
                n += self.db.execute("DELETE FROM days WHERE day < ?", (cutoff,)).rowcount
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            return n

        return self._guarded("prune", delete) or 0

    def maintain(self, today: int) -> None:
        """Start-of-session housekeeping (run off the UI thread): prune old days, compact earlier ones."""
        self.prune(today)
        self.compact(today)


__all__ = ["FILE_NAME", "BarStore", "number_of"]
