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
import math
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..domain.instruments import parse_token
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
from .sqlitefile import BadText, decode_text, move_aside, transaction
from .sqlitefile import sqlite_name as _sqlite_name

log = logging.getLogger("airalgo.store.journal")
log.addFilter(RateLimitFilter(burst=5, period=10.0))  # a flood of junk answers on a full disk stays a trickle

SCHEMA_VERSION = 5
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

# v5 (protective triggers, issue 28): every trigger held by the app as it stands now (``spec``: its JSON, see
# ``services.triggers.Trigger.to_dict``) and an append-only log of what happened to it — the firing decision is
# written here *before* its exit order is sent, so a kill -9 in between can never produce a second exit. A step of
# its own after the risk table; ``IF NOT EXISTS`` keeps it safe to replay.
V_TRIGGERS = """
        CREATE TABLE IF NOT EXISTS triggers (
            id TEXT PRIMARY KEY,
            trade_date TEXT NOT NULL,
            state TEXT NOT NULL,
            spec TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS trigger_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            trigger_id TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX IF NOT EXISTS triggers_by_day ON triggers(trade_date);
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V_TRIGGERS]  # MIGRATIONS[n] takes a journal from schema n to n + 1


def _price(value: Any) -> int:
    """A price as the journal stores it: within the one valid range (:func:`parse_price`), else 0 — never a value
    SQLite cannot hold (an out-of-range one once raised OverflowError and lost the write)."""
    price = parse_price(value, allow_zero=True)
    if price is None:
        log.warning("out-of-range price not journalled (stored as 0)")
        return 0
    return price


_INSERT_ORDER = (
    "INSERT {} INTO orders (local_id, trade_date, created_at, token, symbol, side, kind, quantity, price, "
    "trigger_price, ltp, status, message, order_number, executed_price, updated_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_INSERT_EVENT = "INSERT INTO events (local_id, at, kind, status, order_number, raw) VALUES (?,?,?,?,?,?)"
_UPDATE_ORDER = (
    "UPDATE orders SET status=?, message=?, order_number=COALESCE(?, order_number), executed_price=?, "
    "updated_at=?, pending_ms=COALESCE(pending_ms, ?), final_ms=COALESCE(final_ms, ?) WHERE local_id=?")


def _order_params(record: OrderRecord, status: str, message: str, order_number: str | None, executed_price: int,
                  now: str, trade_date: str | None = None) -> tuple[Any, ...]:
    """The values of one ``orders`` row (the ticket's fields plus the given state). ``trade_date`` defaults to the
    day the order was created."""
    req = record.request
    created = record.created.astimezone(IST)
    return (record.local_id, trade_date or created.date().isoformat(), created.isoformat(), req.token,
            record.symbol, req.side.value, req.kind.value, parse_quantity(req.quantity, allow_zero=True) or 0,
            _price(req.price), _price(req.trigger_price), _price(req.ltp), status, message, order_number,
            _price(executed_price), now)


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


class JournalDeferred(JournalWriteError):
    """An exchange answer could not be written now; it is kept (in memory and, where the disk allows, in the side
    file ``journal.db.pending``) and written, in order, as soon as the journal works again."""


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
        """Let go. On Windows the byte-range lock is undone explicitly before the close: Windows releases a lock
        left on a closed handle only "when the system gets to it", so a restart right after could find the journal
        still taken (msvcrt's documentation asks for LK_UNLCK)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                if os.name == "nt":
                    import msvcrt

                    with contextlib.suppress(OSError):
                        os.lseek(fd, 0, os.SEEK_SET)  # the lock covers byte 0: unlock from there
                        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            finally:
                os.close(fd)


class UnavailableJournal:
    """Stands in for a journal that could not be opened (:class:`JournalUnavailable`), so the app still starts and
    shows why: it remembers no orders, and refuses every write with that reason — so no order is sent."""

    def __init__(self, error: JournalUnavailable) -> None:
        self.error = error
        self.notice: str | None = str(error)
        self.path: Path | None = None
        self.write_seconds: list[float] = []
        self.pending: list[dict[str, Any]] = []
        self.quarantined: dict[str, str] = {}

    def read_problem(self) -> str | None:
        """Nothing was read."""
        return None

    def retry_pending(self, *, force: bool = False) -> int:
        """Nothing is kept: no answer was ever written here."""
        return 0

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

    def save_triggers(self, day: date, rows: list[tuple[str, str, dict[str, Any], str, str]]) -> None:
        """Always refused: a trigger that cannot be journalled is not armed (and never fires)."""
        raise JournalWriteError(f"the order journal cannot be used: {self.error.reason}")

    def triggers_for(self, day: date) -> list[dict[str, Any]]:
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


class _BadRow(ValueError):
    """A journal row that cannot be what the app wrote (the reason is the text)."""


def _text(value: Any, what: str, *, optional: bool = False, limit: int = 1_000) -> str | None:
    """A text column read back: valid UTF-8 (not :class:`BadText`) of at most ``limit`` characters."""
    if value is None and optional:
        return None
    if isinstance(value, BadText):
        raise _BadRow(f"{what} is not UTF-8 text")
    if not isinstance(value, str) or len(value) > limit:
        raise _BadRow(f"{what} {_show(value)} is not text")
    return value


def _show(value: Any) -> str:
    """A stored value for a problem sentence (short, never the whole of a huge value)."""
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "…"


def _stored_price(value: Any, what: str) -> int:
    price = parse_price(value, allow_zero=True)
    if price is None or type(value) is not int:  # the journal writes integer paisa; text or REAL is not ours
        raise _BadRow(f"{what} {_show(value)} is not a price")
    return price


def _millis(value: Any) -> float | None:
    """A stored latency (ms), or None when absent or absurd (negative, NaN, over a day)."""
    if type(value) in (int, float) and 0 <= value <= 86_400_000:
        return float(value)
    return None


def _check(text: Any, local_id: str) -> TraderCheck | None:
    """The trader's stored statement; a price out of the valid range makes the row bad, an unreadable statement
    is ignored (as before: it is the trader's note, not an exchange answer)."""
    if text is None or text == "":
        return None
    text = _text(text, "the trader's check", limit=10_000)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("price") not in (None, 0) and parse_price(data.get("price")) is None:
        raise _BadRow(f"the trader's check has price {_show(data.get('price'))}")
    check = TraderCheck.from_json(data) if isinstance(data, dict) else None
    if check is None:
        log.warning("journal row %s has an unreadable check; ignored", local_id)
    return check


def _parse_row(row: tuple[Any, ...]) -> JournaledOrder:
    """One ``orders`` row read back, through the same parsers as the wire (:func:`parse_price`,
    :func:`parse_quantity`, :func:`parse_token`, ISO times). Raises :class:`_BadRow` for a row the app cannot have
    written (text 'NaN', 1e308, 2⁶³, non-UTF-8 bytes, a garbage time)."""
    (local_id, token, symbol, side, kind, qty, price, trigger, ltp, created, status, message, number, executed,
     checked, pending_ms, final_ms, events) = row
    local_id = _text(local_id, "the local id", limit=64)
    clean_token = parse_token(token) if isinstance(token, str) and not isinstance(token, BadText) else None
    if clean_token is None:
        raise _BadRow(f"token {_show(token)} is not a token")
    symbol = _text(symbol, "the symbol", limit=200)
    quantity = parse_quantity(qty, allow_zero=True) if type(qty) is int else None
    if quantity is None:
        raise _BadRow(f"quantity {_show(qty)} is not a quantity")
    prices = [_stored_price(v, what) for v, what in ((price, "price"), (trigger, "trigger price"), (ltp, "LTP"),
                                                      (executed, "executed price"))]
    try:
        moment = datetime.fromisoformat(_text(created, "the creation time", limit=64) or "")
    except ValueError:
        raise _BadRow(f"creation time {_show(created)} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=IST)
    message = _text(message, "the message", limit=10_000) or ""
    number = _text(number, "the order number", optional=True, limit=40)
    check = _check(checked, local_id or "?")
    try:
        request = OrderRequest(clean_token, Side(side), OrderKind(kind), quantity, prices[0], prices[1], prices[2],
                               Validity.DAY)
        state = OrderStatus(status)
    except ValueError:
        log.warning("journal row %s has unreadable fields; shown as Unknown", local_id)
        request = OrderRequest(clean_token, Side.BUY, OrderKind.MARKET, quantity)
        state = OrderStatus.UNKNOWN
    return JournaledOrder(local_id or "", request, symbol or "", moment, state, message, number, prices[3],
                          checked=check, pending_ms=_millis(pending_ms), final_ms=_millis(final_ms),
                          events=events if type(events) is int else 0)


# the side file's values, column by column ("s" text, "i" integer, "n" number; a "?" suffix: may be null): a line
# that does not match is skipped, so one hand-edited or torn line can never block the journal's next write
_KEPT_SHAPE = {"order": "sssssssiiiisss?is", "event": "ssss?s?s?", "update": "sss?isn?n?s"}


def _check_kept(entry: dict[str, list[Any]]) -> None:
    """Raise ValueError unless ``entry`` has the shape the journal writes (:data:`_KEPT_SHAPE`)."""
    for name, shape in _KEPT_SHAPE.items():
        kinds = [k + "?" if nxt == "?" else k for k, nxt in zip(shape, shape[1:] + " ", strict=True) if k != "?"]
        values = entry[name]
        if len(values) != len(kinds):
            raise ValueError(f"{name}: {len(values)} values, not {len(kinds)}")
        for value, kind in zip(values, kinds, strict=True):
            if value is None and kind.endswith("?"):
                continue
            ok = {"s": type(value) is str, "i": type(value) is int and abs(value) < 2**63,
                  "n": type(value) in (int, float) and math.isfinite(value)}[kind[0]]
            if not ok:
                raise ValueError(f"{name}: {value!r} is not the kind of value the journal writes")


PENDING_SUFFIX = ".pending"
RETRY_S = 5.0  # how often the kept answers are retried while the journal fails (a failed write is quick)


class Journal:
    """Append-only order journal. Open with :meth:`open`; ``notice`` explains any recovery it had to make.

    An exchange answer that cannot be written (full disk) is kept in :attr:`pending` — and appended to the side file
    ``journal.db.pending`` where the disk still takes a few bytes — and written, oldest first, before the next
    write, on :meth:`retry_pending`, on :meth:`close`, or at the next open. Rows read back that the app cannot
    have written are left out and listed (:attr:`quarantined`, :meth:`read_problem`), the rest loads."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self.name = path.name  # journal.db, or paper-journal.db: what a fallback file is named after
        self.busy_timeout = busy_timeout
        self.clock = clock or (lambda: datetime.now(IST))
        self.db: sqlite3.Connection | None = None
        self.notice: str | None = None
        self._lock: _HeldLock | None = None
        self.write_seconds: list[float] = []  # for the benchmark: how long writes take on the caller's thread
        self.pending: list[dict[str, Any]] = []  # answers not written yet, oldest first
        self.quarantined: dict[str, str] = {}  # local id → why its row was left out
        self._last_retry = float("-inf")

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path, *, name: str = FILE_NAME, **kwargs: Any) -> Journal:
        """Open (or create) ``folder/journal.db`` (or ``folder/name``: the paper session's ``paper-journal.db``) and
        hold it for this process's lifetime (:meth:`close` lets go).

        Owned by another window → this session journals to its own file; corrupt → moved aside, fresh one;
        read-only, full or failing storage → :class:`JournalUnavailable`, the file untouched (see the module)."""
        journal = cls(folder / name, **kwargs)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not journal._take_lock():
                stamp = time.strftime("%Y%m%d-%H%M%S")
                journal.path = folder / f"{Path(name).stem}-{stamp}-{os.getpid()}.db"
                journal.notice = (f"The order journal {name} is in use by another AirAlgo Desktop window. "
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
    def read_only(cls, folder: Path, *, name: str = FILE_NAME) -> Journal:
        """``folder/journal.db`` (or ``folder/name``) opened for reading only (the day report, while the app may hold
        the journal): no lock, no migration, nothing written. Raises :class:`JournalUnavailable` when there is none or
        it cannot be read."""
        journal = cls(folder / name)
        if not journal.path.is_file():
            raise JournalUnavailable(f"no order journal in {folder}")
        try:
            db = sqlite3.connect(f"{journal.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            db.text_factory = decode_text  # a non-UTF-8 row is one bad row (left out), not a failed report
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise journal._unavailable(exc) from exc
        if not ORDERS_READABLE_FROM <= version <= SCHEMA_VERSION:  # v4 and v5 only added tables (risk, triggers)
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
                self._journal_separately(f"The order journal {self.name} is in use by another program")
            else:
                raise  # full, read-only, I/O: not corruption; leave the file alone
        except JournalError as exc:
            if "newer" in str(exc):
                self._journal_separately(f"The order journal {self.name} was written by a newer version of the app "
                                         f"({exc}); it is not changed")
            else:
                self._set_aside(exc)

    def _journal_separately(self, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = self.path.with_name(f"{Path(self.name).stem}-{stamp}-{os.getpid()}.db")
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
        db.text_factory = decode_text  # a non-UTF-8 row is one bad row, not a failed read of the whole day
        try:
            # a newer app's journal is refused before anything is written to it (WAL mode rewrites the header)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(f"journal schema {version} is newer than this app ({SCHEMA_VERSION})")
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
        self._load_side_file()

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(f"journal schema {version} is newer than this app ({SCHEMA_VERSION})")
        for number in range(version, SCHEMA_VERSION):
            # one script per step, inside its own transaction (executescript would commit an outer one)
            with transaction(db):
                for statement in f"{MIGRATIONS[number]};PRAGMA user_version={number + 1}".split(";"):
                    if statement.strip():
                        db.execute(statement)
            log.info("journal migrated to schema %d", number + 1)

    def close(self) -> None:
        """Write what is kept (else it stays in the side file for the next open), checkpoint, close and let go of
        the lock (another window may then own the journal)."""
        if self.db is not None and self.pending:
            self.retry_pending(force=True)
        if self.db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            self.db = None
        self._release()

    # ------------------------------------------------------------------ writes
    def _write(self, statements: list[tuple[str, tuple[Any, ...]]], *, with_pending: bool = True) -> None:
        """One transaction: the kept answers first (oldest first), then ``statements``. On success nothing is kept
        any more."""
        assert self.db is not None, "journal is closed"
        started = time.perf_counter()
        kept = len(self.pending) if with_pending else 0
        try:
            with transaction(self.db) as db:
                for entry in self.pending[:kept]:
                    for sql, params in self._entry_statements(entry):
                        db.execute(sql, params)
                for sql, params in statements:
                    db.execute(sql, params)
        except (sqlite3.Error, OverflowError, ValueError) as exc:
            raise JournalWriteError(f"The order journal could not be written: {_reason(exc)}") from exc
        finally:
            self.write_seconds.append(time.perf_counter() - started)
            if len(self.write_seconds) > 10_000:
                del self.write_seconds[:5_000]
        if kept:
            del self.pending[:kept]
            log.warning("journal: %d kept answer(s) written", kept)
            if not self.pending:
                self._drop_side_file()

    def record_sent(self, record: OrderRecord) -> None:
        """A ticket about to be sent (state Sent). Raises on failure: then the order must not be sent."""
        req = record.request
        now = self.clock().isoformat()
        self._write([
            (_INSERT_ORDER.format(""), _order_params(record, OrderStatus.SENT.value, "", None, 0, now)),
            (_INSERT_EVENT, (record.local_id, now, "sent", OrderStatus.SENT.value, None, json.dumps(req.to_payload()))),
        ])

    def record_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict[str, Any] | None) -> None:
        """An ``order_response`` (raw and parsed), or a local state change (Unknown) when ``update`` is None.

        When it cannot be written it is kept and written later (:class:`JournalDeferred` says so)."""
        now = self.clock()
        stamp = now.isoformat()
        entry = {
            # an order placed elsewhere, or before this journal: kept too, on the day it reached this app (a stamp
            # of an earlier day would hide it from today's read after a restart, while it counted today)
            "order": list(_order_params(record, record.status.value, record.message, record.order_number,
                                        record.executed_price, stamp, now.astimezone(IST).date().isoformat())),
            "event": [record.local_id, stamp, "response" if update is not None else "local", record.status.value,
                      record.order_number, json.dumps(raw) if raw is not None else None],
            "update": [record.status.value, record.message, record.order_number, _price(record.executed_price),
                       stamp, record.pending_ms, record.final_ms, record.local_id],
        }
        try:
            self._write(self._entry_statements(entry))
        except JournalWriteError as exc:
            self._keep(entry)
            raise JournalDeferred(f"{exc} — kept, and written when the journal works again "
                                  f"({len(self.pending)} waiting)") from exc

    def record_check(self, record: OrderRecord) -> None:
        """The trader's statement about an unanswered order (``record.checked``): an event of kind ``trader`` (never
        ``response``) and the ``checked`` column. The order's status stays the exchange's."""
        assert record.checked is not None
        now = self.clock().isoformat()
        statement = json.dumps(record.checked.to_json())
        self._write([
            (_INSERT_EVENT, (record.local_id, now, "trader", record.status.value, record.order_number, statement)),
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

    # ------------------------------------------------------------------ kept answers
    @staticmethod
    def _entry_statements(entry: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
        """The statements of one kept answer. The SQL is always this code's (the side file holds values only); an
        answer read back from the side file is skipped when its event is already in (written before a crash)."""
        event = tuple(entry["event"])
        if entry.get("replayed"):
            insert_event = (
                "INSERT INTO events (local_id, at, kind, status, order_number, raw) SELECT ?,?,?,?,?,? WHERE NOT "
                "EXISTS (SELECT 1 FROM events WHERE local_id=? AND at=? AND kind=?)", event + event[:3])
        else:
            insert_event = (_INSERT_EVENT, event)
        return [(_INSERT_ORDER.format("OR IGNORE"), tuple(entry["order"])), insert_event,
                (_UPDATE_ORDER, tuple(entry["update"]))]

    @property
    def side_path(self) -> Path:
        """``journal.db.pending``: the kept answers, one JSON line each, until they are in the journal."""
        return Path(f"{self.path}{PENDING_SUFFIX}")

    def _keep(self, entry: dict[str, Any]) -> None:
        self.pending.append(entry)
        try:  # a few hundred bytes often still fit where SQLite's page did not; if not, memory holds it
            with open(self.side_path, "a", encoding="utf-8") as side:
                side.write(json.dumps({k: entry[k] for k in ("order", "event", "update")}) + "\n")
                side.flush()
                os.fsync(side.fileno())
        except OSError as exc:
            log.error("journal: a kept answer could not go to %s either (%s); it is in memory", self.side_path.name,
                      _reason(exc))

    def _load_side_file(self) -> None:
        """Answers an earlier session kept: written now (in order), else kept for the next write."""
        try:
            lines = self.side_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.error("journal: %s cannot be read: %s", self.side_path.name, _reason(exc))
            return
        entries = []
        for number, line in enumerate(lines, 1):
            try:
                data = json.loads(line)
                entry = {k: list(data[k]) for k in ("order", "event", "update")}
                _check_kept(entry)
            except (ValueError, TypeError, KeyError) as exc:  # a torn last line (a crash mid-write)
                log.warning("journal: %s line %d skipped: %s", self.side_path.name, number, exc)
                continue
            entry["replayed"] = True
            entries.append(entry)
        self.pending[:0] = entries
        if entries:
            log.warning("journal: %d answer(s) kept by an earlier session", len(entries))
        if self.pending:
            self.retry_pending(force=True)
        else:
            self._drop_side_file()

    def _drop_side_file(self) -> None:
        with contextlib.suppress(OSError):
            self.side_path.unlink()

    def retry_pending(self, *, force: bool = False) -> int:
        """Write the kept answers if the journal works again (at most every :data:`RETRY_S` seconds unless
        ``force``; cheap when nothing is kept). Returns how many were written."""
        if not self.pending or self.db is None:
            return 0
        now = time.monotonic()
        if not force and now - self._last_retry < RETRY_S:
            return 0
        self._last_retry = now
        count = len(self.pending)
        try:
            self._write([])
        except JournalWriteError as exc:
            log.error("journal: %d kept answer(s) still not written: %s", count, exc)
            return 0
        return count

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
        for row in rows:
            try:
                out.append(_parse_row(row))
            except _BadRow as exc:
                key = row[0] if isinstance(row[0], str) and not isinstance(row[0], BadText) else _show(row[0])
                if key not in self.quarantined:
                    log.error("journal row %s left out: %s", key, exc)
                self.quarantined[key] = str(exc)
        return out

    def read_problem(self) -> str | None:
        """One paragraph for the banner when rows were left out on reading (None when all were fine)."""
        if not self.quarantined:
            return None
        items = list(self.quarantined.items())
        listed = "; ".join(f"{key}: {why}" for key, why in items[:5])
        more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
        return (f"{len(items)} order(s) in the journal could not be read and are left out (not shown, not in "
                f"positions; the file is not changed): {listed}{more}.")

    # ------------------------------------------------------------------ protective triggers (issue 28)
    def save_triggers(self, day: date, rows: list[tuple[str, str, dict[str, Any], str, str]]) -> None:
        """Triggers as they stand now and what happened to each — rows of (id, state, spec, event kind, event
        text) — in one transaction. Raises :class:`JournalWriteError` when they cannot be written: a firing that is
        not journalled is not sent."""
        now = self.clock().isoformat()
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for trigger_id, state, spec, kind, text in rows:
            statements.append((
                "INSERT INTO triggers (id, trade_date, state, spec, updated_at) VALUES (?,?,?,?,?) ON CONFLICT(id) "
                "DO UPDATE SET state=excluded.state, spec=excluded.spec, updated_at=excluded.updated_at",
                (trigger_id, day.isoformat(), state, json.dumps(spec), now)))
            statements.append(("INSERT INTO trigger_events (trigger_id, at, kind, text) VALUES (?,?,?,?)",
                               (trigger_id, now, kind, text)))
        self._write(statements)

    def triggers_for(self, day: date) -> list[dict[str, Any]]:
        """The triggers of a trading day as last saved (their ``spec``), oldest first; a row that is not JSON is
        left out (logged) — the caller refuses implausible values in it."""
        assert self.db is not None
        out: list[dict[str, Any]] = []
        for trigger_id, spec in self.db.execute("SELECT id, spec FROM triggers WHERE trade_date=? ORDER BY rowid",
                                                (day.isoformat(),)):
            try:
                data = json.loads(spec) if isinstance(spec, str) and not isinstance(spec, BadText) else None
            except ValueError:
                data = None
            if isinstance(data, dict):
                out.append(data)
            else:
                log.error("journal: trigger %s left out: its row is not readable", _show(trigger_id))
        return out

    def trigger_events(self, trigger_id: str) -> list[tuple[str, str]]:
        """(kind, text) of everything journalled about one trigger, in order."""
        assert self.db is not None
        return [(str(k), str(t)) for k, t in self.db.execute(
            "SELECT kind, text FROM trigger_events WHERE trigger_id=? ORDER BY seq", (trigger_id,))]

    def events_for(self, local_id: str) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        """(kind, status, raw payload) of every event of one order, in order (an unreadable payload is None)."""
        assert self.db is not None
        out = []
        for kind, status, raw in self.db.execute(
                "SELECT kind, status, raw FROM events WHERE local_id=? ORDER BY id", (local_id,)):
            try:
                payload = json.loads(raw) if isinstance(raw, str) and raw and not isinstance(raw, BadText) else None
            except ValueError:
                payload = None
            out.append((str(kind), status if isinstance(status, str) else None, payload))
        return out
