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

Faults, none of which may stop the chart or block the window (every call here runs off the UI thread):

* **another program locks the file** or **the disk is full**: connections wait at most :data:`BUSY_TIMEOUT` and a
  write is tried :data:`WRITE_TRIES` times; minutes that could not be written are kept in memory
  (:attr:`BarStore.unsaved`) and written with the next batch, the file stays as it is, and one sentence goes to
  :meth:`BarStore.take_problems` for the banner;
* **a row the app cannot have written** (its token list a BLOB, a blob of the wrong size, a close below the low,
  a negative volume, NaN): that row (or that bar) is left out and listed (:attr:`BarStore.quarantined`), the rest
  reads; the row stays in the file.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..domain.bars import Bars, SealedMinute, day_start, number_of
from ..domain.instruments import is_token
from ..domain.money import MAX_PRICE
from .sqlitefile import (
    BadText,
    decode_text,
    is_corrupt,
    is_locked,
    move_aside,
    parallel_path,
    sqlite_name,
    transaction,
)

log = logging.getLogger("airalgo.store.bars")

FILE_NAME = "bars.db"
SCHEMA_VERSION = 1
BUSY_TIMEOUT = 0.1  # s a statement waits for another program's lock (off the UI thread; then retried)
WRITE_TRIES = 3  # a write refused as busy is tried again this often (0.05 s, 0.1 s apart)
MAX_UNSAVED = 3_000  # minutes kept in memory while the file refuses them (more than a day's 1,440)
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


class _BadRow(ValueError):
    """A stored row the app cannot have written (the reason is the text)."""


def _unpack_columns(data: object, n: int, layout: tuple[str, ...]) -> list[np.ndarray]:
    out, offset = [], 0
    if not isinstance(data, bytes) or len(data) != sum(np.dtype(d).itemsize for d in layout) * n:
        size = f"{len(data)} bytes" if isinstance(data, bytes) else f"a {type(data).__name__}"
        raise _BadRow(f"its data ({size}) does not hold {n} bars")
    for dtype in layout:
        width = np.dtype(dtype).itemsize * n
        out.append(np.frombuffer(data, dtype, n, offset))
        offset += width
    return out


def _tokens(text: object) -> list[str]:
    """A minute row's token list: newline-separated text of valid tokens (never a BLOB)."""
    if not isinstance(text, str) or isinstance(text, BadText):
        raise _BadRow(f"its token list is {'not UTF-8 text' if isinstance(text, BadText) else type(text).__name__}")
    names = text.split("\n")
    if not all(is_token(name) for name in names):
        raise _BadRow("its token list holds a name that is not a token")
    return names


def _plausible(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray,
               pv: np.ndarray) -> np.ndarray:
    """Which stored bars can be real: prices within 1‥:data:`MAX_PRICE` paisa with low ≤ open, close ≤ high, a
    volume ≥ 0 and a finite Σ price×qty ≥ 0 (a close of 1 paisa under a ₹1,000 low, a volume of −5 or a NaN is
    not drawn)."""
    ok = (lo >= 1) & (h <= MAX_PRICE) & (lo <= o) & (lo <= c) & (o <= h) & (c <= h) & (v >= 0)
    with np.errstate(invalid="ignore"):
        return ok & np.isfinite(pv) & (pv >= 0)


_MINUTE_LAYOUT = ("<i4", "<i4", "<i4", "<i4", "<i8", "<f8")
_DAY_LAYOUT = ("<i2", *_MINUTE_LAYOUT)


class NewerSchema(sqlite3.DatabaseError):
    """The file was written by a newer version of the app: it is not changed."""


class BarStore:
    """``bars.db``: write sealed minutes, read a day back, read a token's earlier days, prune old days.

    Thread-safe (one connection behind a lock), so the desk can hand writes to :meth:`submit` (a writer thread)
    and do every read in a worker thread (``asyncio.to_thread``, :class:`~airalgo_desktop.services.barbook.BarBook`'s
    reader): no call may run on the UI thread, since a busy file makes it wait up to :data:`BUSY_TIMEOUT` × tries."""

    def __init__(self, path: Path, keep_days: int = 30) -> None:
        self.path = path
        self.keep_days = keep_days
        self.notice: str | None = None
        self.db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[SealedMinute] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self.minutes_written = 0
        self.unsaved: dict[tuple[int, int], tuple[int, int, str, bytes]] = {}  # (day, minute) → row not written
        self.quarantined: dict[str, str] = {}  # "day D minute M" / "token T day D" → why it was left out
        self._problems: list[str] = []  # sentences for the banner, taken by the UI thread
        self._write_fault: str | None = None  # the cause already reported (one banner per cause)
        self._reported_bad = 0
        self._notes = threading.Lock()  # guards the two above and the problems; never held across file I/O

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
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        db.text_factory = decode_text
        try:
            # a newer app's file is refused before anything is written to it (WAL mode rewrites the header)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise NewerSchema(f"bar store schema {version} is newer than this app ({SCHEMA_VERSION})")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if version < SCHEMA_VERSION:
                with transaction(db):
                    for statement in f"{SCHEMA};PRAGMA user_version={SCHEMA_VERSION}".split(";"):
                        if statement.strip():
                            db.execute(statement)
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
        """Run ``fn`` under the lock (None without a file). Damage SQLite reports sets the file aside (fresh file);
        any other failure (full disk, busy) is logged and the call returns None."""
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

    def _quarantine(self, key: str, why: str) -> None:
        with self._notes:
            if key not in self.quarantined:
                log.error("bar store: %s left out: %s", key, why)
            self.quarantined[key] = why

    def take_problems(self) -> list[str]:
        """Sentences for the banner since the last call (write faults, rows left out); for the UI thread: it never
        waits for the file (the writer may hold the connection through a busy timeout)."""
        with self._notes:
            if len(self.quarantined) > self._reported_bad:
                items = list(self.quarantined.items())
                listed = "; ".join(f"{key}: {why}" for key, why in items[:5])
                more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
                self._problems.append(f"{len(items)} stored bar row(s) in {self.path.name} could not be read and are "
                                      f"not drawn (the file is not changed): {listed}{more}.")
                self._reported_bad = len(items)
            problems, self._problems = self._problems, []
        return problems

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
    def save(self, minutes: Iterable[SealedMinute]) -> bool:
        """Write sealed minutes (one row each, one transaction) after any kept earlier; a minute written again
        replaces the old row. A busy file is tried :data:`WRITE_TRIES` times; when it still refuses (or the disk is
        full) the rows are kept in :attr:`unsaved` for the next call, the file is left as it is, and the banner is
        told once. Returns True when nothing is left unsaved."""
        rows = [(m.day, m.minute, "\n".join(m.tokens), _pack_minute(m)) for m in minutes if m.tokens]
        with self._lock:
            if self.db is None:  # no file this session: the builder holds the day, there is nowhere to write
                return not rows
            for row in rows:
                self.unsaved.pop((row[0], row[1]), None)  # newest last: written after the older ones
                self.unsaved[(row[0], row[1])] = row
            if not self.unsaved:
                return True
            batch = list(self.unsaved.values())
            for attempt in range(WRITE_TRIES):
                try:
                    with transaction(self.db) as db:
                        db.executemany("INSERT OR REPLACE INTO minutes (day, minute, tokens, data) VALUES (?,?,?,?)",
                                       batch)
                except sqlite3.Error as exc:
                    if is_locked(exc) and attempt + 1 < WRITE_TRIES:
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    self._write_failed(exc)
                    return False
                break
            self.minutes_written += len(batch)
            self.unsaved.clear()
            if self._write_fault is not None:
                log.warning("bar store: writes work again; %d kept minute(s) written", len(batch))
                self._write_fault = None
            return True

    def _write_failed(self, exc: sqlite3.Error) -> None:
        """Keep what could not be written (bounded), say it once per cause."""
        while len(self.unsaved) > MAX_UNSAVED:
            self.unsaved.pop(next(iter(self.unsaved)))
        if is_locked(exc):
            cause = "is locked by another program"
        elif sqlite_name(exc) == "SQLITE_FULL":
            cause = "cannot be written: the disk is full"
        else:
            cause = f"cannot be written ({exc})"
        log.error("bar store: %d minute(s) not written: %s", len(self.unsaved), exc)
        if cause != self._write_fault:
            self._write_fault = cause
            with self._notes:
                self._problems.append(f"The chart's bar store {self.path.name} {cause}. Today's bars are kept in "
                                      "memory and written once it takes them; the file is left as it is.")

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
        """Every stored minute of IST day number ``day``, oldest first (for :meth:`BarBuilder.restore`). Rows and
        bars the app cannot have written are left out (:attr:`quarantined`)."""

        def read() -> list[SealedMinute]:
            assert self.db is not None
            return [m for row in self.db.execute(
                "SELECT minute, tokens, data FROM minutes WHERE day=? ORDER BY minute", (day,)).fetchall()
                if (m := self._minute(day, *row)) is not None]

        return self._guarded("read day", read) or []

    def _minute(self, day: int, minute: object, tokens: object, data: object) -> SealedMinute | None:
        """One minute row read back and checked; only its plausible bars (None when nothing of it is)."""
        key = f"day {day} minute {minute}"
        try:
            if type(minute) is not int or not 0 <= minute < 1440:
                raise _BadRow(f"minute {minute!r} is not a minute of the day")
            names = _tokens(tokens)
            o, h, lo, c, v, pv = _unpack_columns(data, len(names), _MINUTE_LAYOUT)
        except _BadRow as exc:
            self._quarantine(key, str(exc))
            return None
        ok = _plausible(o, h, lo, c, v, pv)
        if not ok.all():
            bad = [n for n, good in zip(names, ok.tolist(), strict=True) if not good]
            self._quarantine(key, f"implausible bar(s) of {', '.join(bad[:5])}{' …' if len(bad) > 5 else ''}")
            if not ok.any():
                return None
            names = [n for n, good in zip(names, ok.tolist(), strict=True) if good]
            o, h, lo, c, v, pv = (col[ok] for col in (o, h, lo, c, v, pv))
        return SealedMinute(day, minute, names, o, h, lo, c, v, pv)

    def compact(self, before: int) -> int:
        """Turn the minute rows of days before ``before`` into one row per (token, day); returns days compacted."""

        def days_left() -> list[int]:
            assert self.db is not None
            return [d for (d,) in self.db.execute("SELECT DISTINCT day FROM minutes WHERE day < ?", (before,))]

        done = 0
        for day in self._guarded("list days", days_left) or []:
            minutes = self.load_day(day)
            with self._notes:
                bad = any(key.startswith(f"day {day} minute ") for key in self.quarantined)
            if bad:  # compacting deletes the day's minute rows: a day with a bad one stays as it is
                continue
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
        with transaction(self.db) as db:
            db.executemany("INSERT OR REPLACE INTO days (token, day, data) VALUES (?,?,?)", rows)
            db.execute("DELETE FROM minutes WHERE day=?", (day,))

    def history(self, token: str, before: int, days: int = 30) -> Bars:
        """One-minute bars of ``token`` on the stored days before IST day ``before`` (at most ``days`` of them,
        oldest first). Minute rows of days not compacted yet are read too. Empty when the file cannot be read now
        (:meth:`read_history` tells that apart)."""
        result = self.read_history(token, before, days)
        return result if result is not None else Bars.empty()

    def read_history(self, token: str, before: int, days: int = 30) -> Bars | None:
        """:meth:`history`, or None when the file could not be read now (busy, I/O): worth asking again later."""

        def read() -> Bars:
            assert self.db is not None
            parts: dict[int, Bars] = {}
            for day, data in self.db.execute(
                    "SELECT day, data FROM days WHERE token=? AND day<? ORDER BY day DESC LIMIT ?",
                    (token, before, days)).fetchall():
                bars = self._day_row(token, day, data)
                if bars is not None:
                    parts[day] = bars
            for (day,) in self.db.execute("SELECT DISTINCT day FROM minutes WHERE day<?", (before,)).fetchall():
                times, cols = [], []
                for row in self.db.execute(
                        "SELECT minute, tokens, data FROM minutes WHERE day=? ORDER BY minute", (day,)).fetchall():
                    if isinstance(row[1], str) and token not in row[1]:  # cheap: most rows lack the token
                        continue
                    m = self._minute(day, *row)
                    if m is None or token not in m.tokens:
                        continue
                    j = m.tokens.index(token)
                    times.append(day_start(day) + m.minute * 60)
                    cols.append([col[j] for col in (m.open, m.high, m.low, m.close, m.volume, m.pv)])
                if times:
                    arr = np.array(cols, dtype=np.float64)
                    parts[day] = Bars(np.array(times, np.int64), *(arr[:, k].astype(np.int64) for k in range(5)),
                                      arr[:, 5])
            keep = sorted(parts)[-days:]
            return Bars.concat(parts[d] for d in keep)

        return self._guarded("read history", read)

    def _day_row(self, token: str, day: int, data: object) -> Bars | None:
        """One compacted (token, day) row read back and checked; only its plausible bars."""
        key = f"token {token} day {day}"
        try:
            if not isinstance(data, bytes) or len(data) % 34:
                raise _BadRow("its data does not hold whole bars")
            minute, o, h, lo, c, v, pv = _unpack_columns(data, len(data) // 34, _DAY_LAYOUT)
        except _BadRow as exc:
            self._quarantine(key, str(exc))
            return None
        ok = _plausible(o, h, lo, c, v, pv) & (minute >= 0) & (minute < 1440)
        if not ok.all():
            self._quarantine(key, f"{int((~ok).sum())} implausible bar(s)")
            minute, o, h, lo, c, v, pv = (col[ok] for col in (minute, o, h, lo, c, v, pv))
        return Bars(day_start(day) + minute.astype(np.int64) * 60, o.astype(np.int64), h.astype(np.int64),
                    lo.astype(np.int64), c.astype(np.int64), v.astype(np.int64), pv.astype(np.float64))

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
            with transaction(self.db) as db:
                n = db.execute("DELETE FROM minutes WHERE day < ?", (cutoff,)).rowcount
                n += db.execute("DELETE FROM days WHERE day < ?", (cutoff,)).rowcount
            return n

        return self._guarded("prune", delete) or 0

    def maintain(self, today: int) -> None:
        """Start-of-session housekeeping (run off the UI thread): prune old days, compact earlier ones."""
        self.prune(today)
        self.compact(today)


__all__ = ["FILE_NAME", "BarStore", "number_of"]
