"""The order journal: every ticket is written *before* its frame is sent; every ``order_response`` is appended raw
and parsed. SQLite (stdlib), WAL, ``synchronous=FULL``: an order the app sent survives a crash of the app, of the
machine, or a power cut.

Writes are small (one row each) and happen a few times per order, never per tick; benchmarks measure them on the
UI thread (well under a millisecond with WAL on an SSD). A corrupt or locked database is moved aside — never
deleted — and the app journals to a fresh file, saying so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
)
from .sqlitefile import is_locked, move_aside, parallel_path

log = logging.getLogger("airalgo.store.journal")

SCHEMA_VERSION = 3
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

MIGRATIONS: list[str] = [V1, V2, V3]  # MIGRATIONS[n] takes a journal from schema n to n + 1


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
         req.side.value, req.kind.value, req.quantity, req.price, req.trigger_price, req.ltp, status, message,
         order_number, executed_price, now),
    )


class JournalError(RuntimeError):
    """The journal could not be opened where it should be; ``message`` says what happened instead."""


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
        self.write_seconds: list[float] = []  # for the benchmark: how long writes take on the caller's thread

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path, **kwargs: Any) -> Journal:
        """Open (or create) ``folder/journal.db``; on corruption or a lock, move it aside and start fresh."""
        folder.mkdir(parents=True, exist_ok=True)
        journal = cls(folder / FILE_NAME, **kwargs)
        try:
            journal._connect()
        except (sqlite3.DatabaseError, JournalError) as exc:
            journal._recover(exc)
        return journal

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
            # take the write lock briefly: another running instance holding it means "locked"
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
                    db.execute("ROLLBACK")
                raise
            log.info("journal migrated to schema %d", number + 1)

    def _recover(self, exc: Exception) -> None:
        if is_locked(exc):
            # another instance is using it: leave it alone and journal this session to its own file
            fresh = parallel_path(self.path)
            self.notice = (f"The order journal {self.path.name} is in use by another AirAlgo Desktop window. "
                           f"This session journals to {fresh.name}; both files are kept.")
        else:
            aside = move_aside(self.path)
            fresh = self.path
            self.notice = (f"The order journal could not be read ({exc}). It was kept as {aside.name}; "
                           "a fresh journal was started.")
        log.error("journal: %s", self.notice)
        self.path = fresh
        self._connect()

    def close(self) -> None:
        """Checkpoint and close."""
        if self.db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            self.db = None

    # ------------------------------------------------------------------ writes
    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        assert self.db is not None, "journal is closed"
        started = time.perf_counter()
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                db.execute(sql, params)
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
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
            (record.status.value, record.message, record.order_number, record.executed_price, now, pending_ms,
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
