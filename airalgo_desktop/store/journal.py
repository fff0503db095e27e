"""The order journal: every ticket is written *before* its frame is sent; every ``order_response`` is appended raw
and parsed. SQLite (stdlib), WAL, ``synchronous=FULL``: an order the app sent survives a crash of the app, of the
machine, or a power cut.

Writes are small (one row each) and happen a few times per order, never per tick; benchmarks measure them on the
UI thread (well under a millisecond with WAL on an SSD).

What can go wrong at start, and what happens (nothing is ever deleted):

* the journal is **corrupt** (SQLite says so, or ``quick_check`` fails): it is moved aside as
  ``journal.db.corrupt-<time>`` and a fresh one started, saying so (:attr:`Journal.notice`);
* **another window** owns it (each process holds ``journal.db.lock`` for as long as its journal is open): this
  session journals to its own ``journal-<time>-<pid>.db``, saying so;
* the folder is **read-only**, the **disk is full**, or another I/O error: that is not corruption. The journal is
  left exactly as it is and :class:`JournalUnavailable` says what is wrong; the app shows it and sends no order
  (an order that cannot be journalled is not sent).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..domain.money import parse_price
from ..domain.nsetime import IST
from ..domain.orders import (
    JournalRow,
    OrderKind,
    OrderRecord,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Side,
    TraderCheck,
    Validity,
    parse_quantity,
)
from ..logs import RateLimitFilter
from .sqlitefile import BUSY as _BUSY
from .sqlitefile import CORRUPT as _CORRUPT
from .sqlitefile import move_aside
from .sqlitefile import sqlite_name as _sqlite_name

log = logging.getLogger("airalgo.store.journal")
log.addFilter(RateLimitFilter(burst=5, period=10.0))  # a flood of junk answers on a full disk stays a trickle

SCHEMA_VERSION = 4
ORDERS_READABLE_FROM = 3  # the oldest schema whose orders read_only (the report CLI) reads as they are
FILE_NAME = "journal.db"


V1 = """
        CREATE TABLE IF NOT EXISTS orders (
            local_id TEXT PRIMARY KEY,
            trade_date TEXT NOT NULL,
            created_at TEXT NOT NULL,
            token TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            kind TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            price INTEGER NOT NULL,
            trigger_price INTEGER NOT NULL,
            ltp INTEGER NOT NULL,
            status TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            order_number TEXT,
            executed_price INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            local_id TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT,
            order_number TEXT,
            raw TEXT
        );
        CREATE INDEX IF NOT EXISTS orders_by_day ON orders(trade_date);
"""

# v2: latency figures per order (Send → Pending, Send → final, ms) and a lookup by exchange order number
V2 = """
        ALTER TABLE orders ADD COLUMN pending_ms REAL;
        ALTER TABLE orders ADD COLUMN final_ms REAL;
        CREATE INDEX IF NOT EXISTS orders_by_number ON orders(order_number);
"""

# v3: the trader's own statement about an order the exchange never answered ("Mark as checked…"), as JSON; kept
# apart from the exchange's status so it can never pass for an exchange answer
V3 = """
        ALTER TABLE orders ADD COLUMN checked TEXT;
"""

# v4: the risk gate's day lock and its early lifting (and kill-switch presses), per IST trading day, so a restart the
# same day is still locked; detail is JSON (reason, figures)
V4 = """
        CREATE TABLE IF NOT EXISTS risk_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            trade_date TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX IF NOT EXISTS risk_events_by_day ON risk_events(trade_date);
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4]  # MIGRATIONS[n] takes a journal from schema n to n + 1


def _price(value: Any) -> int:
    """A price as the journal stores it: within the one valid range (:func:`parse_price`), else 0 — never a value
    SQLite cannot hold (an out-of-range one once raised OverflowError and lost the write)."""
    price = parse_price(value, allow_zero=True)
    if price is None:
        log.warning("out-of-range price not journalled (stored as 0)")
        return 0
    return price


def _order_row(record: OrderRecord, status: str, message: str, order_number: str | None, executed_price: int,
               now: str) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of one ``orders`` row (the ticket's fields plus the given state)."""
    req = record.request
    created = record.created.astimezone(IST)
    return (
        "INSERT INTO orders (local_id, trade_date, created_at, token, symbol, side, kind, quantity, price, "
        "trigger_price, ltp, status, message, order_number, executed_price, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (record.local_id, created.date().isoformat(), created.isoformat(), req.token, record.symbol,
         req.side.value, req.kind.value, parse_quantity(req.quantity, allow_zero=True) or 0, _price(req.price),
         _price(req.trigger_price), _price(req.ltp), status, message, order_number, _price(executed_price), now),
    )


class JournalError(RuntimeError):
    """The journal could not be opened where it should be; ``message`` says what happened instead."""


class JournalUnavailable(JournalError):
    """The journal cannot be used here — read-only folder, full disk, I/O error — and was left untouched. The text
    says what is wrong and what to do; ``reason`` is the short cause. No order is sent while it lasts."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class JournalWriteError(JournalError):
    """A write failed (the real SQLite reason is in the text, e.g. "database or disk is full"); nothing of that
    write was kept."""


def _reason(exc: BaseException) -> str:
    """An OSError or SQLite error in words a trader can act on."""
    name = _sqlite_name(exc)
    if name == "SQLITE_FULL" or getattr(exc, "errno", None) == 28:
        return "the disk is full"
    if name == "SQLITE_READONLY" or getattr(exc, "errno", None) in (13, 30):
        return "the data folder is read-only"
    if name == "SQLITE_CANTOPEN":
        return "the file cannot be opened (is the data folder writable?)"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return f"{exc.filename or 'a part of the data folder path'} is a file, not a folder"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


class _HeldLock:
    """An exclusive OS lock on a small file, held for the journal's lifetime: the proof that one process owns the
    journal (the OS releases it if the process dies, even by SIGKILL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when this process now holds the lock; False when another holder has it. OSError if the file
        cannot even be created (read-only folder)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                # flock locks per open file, so two journals in one process conflict too (tests rely on it)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go (closing the descriptor releases the lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class UnavailableJournal:
    """Stands in for a journal that could not be opened (:class:`JournalUnavailable`), so the app still starts and
    shows why: it remembers no orders, and refuses every write with that reason — so no order is sent."""

    def __init__(self, error: JournalUnavailable) -> None:
        self.error = error
        self.notice: str | None = str(error)
        self.path: Path | None = None
        self.write_seconds: list[float] = []

    def orders_for(self, day: date) -> list[JournaledOrder]:
        """Nothing can be read."""
        return []

    def unanswered_before(self, day: date) -> list[JournaledOrder]:
        """Nothing can be read."""
        return []

    def record_sent(self, record: OrderRecord) -> None:
        """Always refused: an order that cannot be journalled is not sent."""
        raise JournalUnavailable(f"the order journal cannot be used: {self.error.reason}", self.error.reason)

    def record_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict[str, Any] | None) -> None:
        """Always refused (the order then says "not journalled")."""
        raise JournalWriteError(f"the order journal cannot be used: {self.error.reason}")

    def record_check(self, record: OrderRecord) -> None:
        """Always refused: the trader's statement is not kept, and the trader is told."""
        raise JournalWriteError(f"the order journal cannot be used: {self.error.reason}")

    def record_risk(self, day: date, kind: str, detail: dict[str, Any]) -> None:
        """Always refused: the risk part then says the lock will not survive a restart."""
        raise JournalWriteError(f"the order journal cannot be used: {self.error.reason}")

    def risk_events(self, day: date) -> list[tuple[str, dict[str, Any], str]]:
        """Nothing can be read."""
        return []

    def close(self) -> None:
        """Nothing to close."""


def open_journal(folder: Path, **kwargs: Any) -> Journal | UnavailableJournal:
    """:meth:`Journal.open`, or an :class:`UnavailableJournal` carrying the reason (its ``notice``) when the
    journal cannot be used: what an app calls at start, so a full disk is a message, not an exit."""
    try:
        return Journal.open(folder, **kwargs)
    except JournalUnavailable as exc:
        return UnavailableJournal(exc)


@dataclass
class JournaledOrder(JournalRow):
    """One order as the journal remembers it (for restart recovery), with how many events it has."""

    events: int = 0


class Journal:
    """Append-only order journal. Open with :meth:`open`; ``notice`` explains any recovery it had to make."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.db: sqlite3.Connection | None = None
        self.notice: str | None = None
        self._lock: _HeldLock | None = None
        self.write_seconds: list[float] = []  # for the benchmark: how long writes take on the caller's thread

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path, **kwargs: Any) -> Journal:
        """Open (or create) ``folder/journal.db`` and hold it for this process's lifetime (:meth:`close` lets go).

        Owned by another window → this session journals to its own file; corrupt → moved aside, fresh one;
        read-only, full or failing storage → :class:`JournalUnavailable`, the file untouched (see the module)."""
        journal = cls(folder / FILE_NAME, **kwargs)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not journal._take_lock():
                stamp = time.strftime("%Y%m%d-%H%M%S")
                journal.path = folder / f"journal-{stamp}-{os.getpid()}.db"
                journal.notice = (f"The order journal {FILE_NAME} is in use by another AirAlgo Desktop window. "
                                  f"This session journals to {journal.path.name}; both files are kept.")
                log.warning("journal: %s", journal.notice)
                if not journal._take_lock():
                    raise JournalUnavailable(f"could not lock {journal.path.name}")
            journal._open_or_recover()
        except JournalUnavailable:
            journal._release()
            raise
        except (OSError, sqlite3.Error, JournalError) as exc:
            journal._release()
            raise journal._unavailable(exc) from exc
        return journal

    @classmethod
    def read_only(cls, folder: Path) -> Journal:
        """``folder/journal.db`` opened for reading only (the day report, while the app may hold the journal): no
        lock, no migration, nothing written. Raises :class:`JournalUnavailable` when there is none or it cannot be
        read."""
        journal = cls(folder / FILE_NAME)
        if not journal.path.is_file():
            raise JournalUnavailable(f"no order journal in {folder}")
        try:
            db = sqlite3.connect(f"{journal.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise journal._unavailable(exc) from exc
        if not ORDERS_READABLE_FROM <= version <= SCHEMA_VERSION:  # v4 only added the risk table
            db.close()
            raise JournalUnavailable(f"the journal has schema {version}; this app reads {SCHEMA_VERSION} (open the "
                                     "app once to bring it up to date)")
        journal.db = db
        return journal

    def _take_lock(self) -> bool:
        lock = _HeldLock(Path(f"{self.path}.lock"))
        if not lock.acquire():
            return False
        self._lock = lock
        return True

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _unavailable(self, exc: BaseException) -> JournalUnavailable:
        reason = _reason(exc)
        fix = ("free disk space" if "full" in reason else "make the data folder writable" if "read-only" in reason
               else "fix the data folder")
        error = JournalUnavailable(
            f"The order journal {self.path} cannot be used: {reason}. It was left as it is. Orders cannot be "
            f"sent until this is fixed ({fix}) and the app is restarted; market data works meanwhile.", reason)
        log.error("journal: %s", error)
        return error

    def _open_or_recover(self) -> None:
        try:
            self._connect()
        except sqlite3.Error as exc:
            name = _sqlite_name(exc)
            if name in _CORRUPT:
                self._set_aside(exc)
            elif name in _BUSY:  # a process that does not take our lock (an older version) is writing it
                self._journal_separately(f"The order journal {FILE_NAME} is in use by another program")
            else:
                raise  # full, read-only, I/O: not corruption; leave the file alone
        except JournalError as exc:
            if "newer" in str(exc):
                self._journal_separately(f"The order journal {FILE_NAME} was written by a newer version of the app "
                                         f"({exc}); it is not changed")
            else:
                self._set_aside(exc)

    def _journal_separately(self, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = self.path.with_name(f"journal-{stamp}-{os.getpid()}.db")
        self.notice = f"{why}. This session journals to {self.path.name}; both files are kept."
        log.error("journal: %s", self.notice)
        self._connect()

    def _set_aside(self, exc: Exception) -> None:
        aside = move_aside(self.path)
        self.notice = (f"The order journal could not be read ({exc}). It was kept as {aside.name}; "
                       "a fresh journal was started.")
        log.error("journal: %s", self.notice)
        self._connect()

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            row = db.execute("PRAGMA quick_check").fetchone()
            if not row or row[0] != "ok":
                raise JournalError(f"integrity check failed: {row[0] if row else 'no answer'}")
            self._migrate(db)
            # take the write lock briefly: a program that ignores our lock file but is writing means "busy"
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
        except Exception:
            db.close()
            raise
        self.db = db

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(f"journal schema {version} is newer than this app ({SCHEMA_VERSION})")
        for number in range(version, SCHEMA_VERSION):
            # one script per step, inside its own transaction (executescript would commit an outer one)
            try:
                db.executescript(f"BEGIN IMMEDIATE;{MIGRATIONS[number]};PRAGMA user_version={number + 1};COMMIT;")
            except Exception:
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # never hide the real error under a rollback's
                        db.execute("ROLLBACK")
                raise
            log.info("journal migrated to schema %d", number + 1)

    def close(self) -> None:
        """Checkpoint, close and let go of the lock (another window may then own the journal)."""
        if self.db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            self.db = None
        self._release()

    # ------------------------------------------------------------------ writes
    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        assert self.db is not None, "journal is closed"
        started = time.perf_counter()
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                db.execute(sql, params)
            db.execute("COMMIT")
        except (sqlite3.Error, OverflowError, ValueError) as exc:
            # SQLite has often rolled back by itself (a full disk does): a second ROLLBACK would raise "no
            # transaction is active" over the real reason, so only roll back what is still open, quietly
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise JournalWriteError(f"The order journal could not be written: {_reason(exc)}") from exc
        finally:
            self.write_seconds.append(time.perf_counter() - started)
            if len(self.write_seconds) > 10_000:
                del self.write_seconds[:5_000]

    def record_sent(self, record: OrderRecord) -> None:
        """A ticket about to be sent (state Sent). Raises on failure: then the order must not be sent."""
        req = record.request
        now = datetime.now(IST).isoformat()
        self._write([
            _order_row(record, OrderStatus.SENT.value, "", None, 0, now),
            ("INSERT INTO events (local_id, at, kind, status, order_number, raw) VALUES (?,?,?,?,?,?)",
             (record.local_id, now, "sent", OrderStatus.SENT.value, None, json.dumps(req.to_payload()))),
        ])

    def record_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict[str, Any] | None) -> None:
        """An ``order_response`` (raw and parsed), or a local state change (Unknown) when ``update`` is None."""
        now = datetime.now(IST).isoformat()
        pending_ms, final_ms = record.pending_ms, record.final_ms
        statements = [
            ("INSERT INTO events (local_id, at, kind, status, order_number, raw) VALUES (?,?,?,?,?,?)",
             (record.local_id, now, "response" if update is not None else "local", record.status.value,
              record.order_number, json.dumps(raw) if raw is not None else None)),
        ]
        exists = self.db is not None and self.db.execute(
            "SELECT 1 FROM orders WHERE local_id=?", (record.local_id,)).fetchone()
        if not exists:  # an order placed elsewhere, or before this journal: keep it too
            statements.insert(0, _order_row(record, record.status.value, record.message, record.order_number,
                                            record.executed_price, now))
        statements.append((
            "UPDATE orders SET status=?, message=?, order_number=COALESCE(?, order_number), executed_price=?, "
            "updated_at=?, pending_ms=COALESCE(pending_ms, ?), final_ms=COALESCE(final_ms, ?) WHERE local_id=?",
            (record.status.value, record.message, record.order_number, _price(record.executed_price), now, pending_ms,
             final_ms, record.local_id)))
        self._write(statements)

    def record_check(self, record: OrderRecord) -> None:
        """The trader's statement about an unanswered order (``record.checked``): an event of kind ``trader`` (never
        ``response``) and the ``checked`` column. The order's status stays the exchange's."""
        assert record.checked is not None
        now = datetime.now(IST).isoformat()
        statement = json.dumps(record.checked.to_json())
        self._write([
            ("INSERT INTO events (local_id, at, kind, status, order_number, raw) VALUES (?,?,?,?,?,?)",
             (record.local_id, now, "trader", record.status.value, record.order_number, statement)),
            ("UPDATE orders SET checked=?, updated_at=? WHERE local_id=?", (statement, now, record.local_id)),
        ])

    def record_risk(self, day: date, kind: str, detail: dict[str, Any]) -> None:
        """A risk event of IST trading day ``day`` (``lock``, ``unlock``, ``kill``) with its detail. Raises on failure
        (the caller tells the trader the lock will not survive a restart)."""
        self._write([("INSERT INTO risk_events (trade_date, at, kind, detail) VALUES (?,?,?,?)",
                      (day.isoformat(), datetime.now(IST).isoformat(), kind, json.dumps(detail)))])

    def risk_events(self, day: date) -> list[tuple[str, dict[str, Any], str]]:
        """(kind, detail, ISO time) of every risk event of ``day``, oldest first; an unreadable detail reads as {}."""
        assert self.db is not None
        out: list[tuple[str, dict[str, Any], str]] = []
        for kind, detail, at in self.db.execute(
                "SELECT kind, detail, at FROM risk_events WHERE trade_date=? ORDER BY id", (day.isoformat(),)):
            try:
                parsed = json.loads(detail)
            except (TypeError, ValueError):
                parsed = None
            if not isinstance(parsed, dict):
                log.warning("journal risk event %s of %s has an unreadable detail; read as empty", kind, day)
                parsed = {}
            out.append((str(kind), parsed, str(at)))
        return out

    # ------------------------------------------------------------------ reads
    _SELECT = (
        "SELECT o.local_id, o.token, o.symbol, o.side, o.kind, o.quantity, o.price, o.trigger_price, o.ltp, "
        "o.created_at, o.status, o.message, o.order_number, o.executed_price, o.checked, o.pending_ms, o.final_ms, "
        "(SELECT COUNT(*) FROM events e WHERE e.local_id = o.local_id) FROM orders o ")

    def orders_for(self, day: date) -> list[JournaledOrder]:
        """Every order of a trading day, oldest first."""
        assert self.db is not None
        return self._rows(self.db.execute(self._SELECT + "WHERE o.trade_date = ? ORDER BY o.created_at, o.rowid",
                                          (day.isoformat(),)).fetchall())

    def unanswered_before(self, day: date) -> list[JournaledOrder]:
        """Orders of earlier trading days that never got a final answer (Sent, Pending or Unknown in the journal):
        Day orders, so they expired at their day's close. Oldest first."""
        assert self.db is not None
        return self._rows(self.db.execute(
            self._SELECT + "WHERE o.trade_date < ? AND o.status IN (?, ?, ?) ORDER BY o.created_at, o.rowid",
            (day.isoformat(), OrderStatus.SENT.value, OrderStatus.PENDING.value, OrderStatus.UNKNOWN.value),
        ).fetchall())

    def _rows(self, rows: list[tuple[Any, ...]]) -> list[JournaledOrder]:
        out = []
        for (local_id, token, symbol, side, kind, qty, price, trigger, ltp, created, status, message, number,
             executed, checked, pending_ms, final_ms, events) in rows:
            try:
                request = OrderRequest(token, Side(side), OrderKind(kind), qty, price, trigger, ltp, Validity.DAY)
                state = OrderStatus(status)
            except ValueError:
                log.warning("journal row %s has unreadable fields; shown as Unknown", local_id)
                request = OrderRequest(token, Side.BUY, OrderKind.MARKET, qty)
                state = OrderStatus.UNKNOWN
            check = None
            if checked:
                try:
                    check = TraderCheck.from_json(json.loads(checked))
                except ValueError:
                    log.warning("journal row %s has an unreadable check; ignored", local_id)
            out.append(JournaledOrder(local_id, request, symbol, datetime.fromisoformat(created), state, message,
                                      number, executed, checked=check, pending_ms=pending_ms, final_ms=final_ms,
                                      events=events))
        return out

    def events_for(self, local_id: str) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        """(kind, status, raw payload) of every event of one order, in order."""
        assert self.db is not None
        return [(kind, status, json.loads(raw) if raw else None) for kind, status, raw in self.db.execute(
            "SELECT kind, status, raw FROM events WHERE local_id=? ORDER BY id", (local_id,))]
