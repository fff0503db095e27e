"""The SQLite order journal: write-before-send, raw responses, migration, corrupt and locked files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.store.journal import FILE_NAME, MIGRATIONS, SCHEMA_VERSION, Journal

RAW = {"token_number": "2885", "status": "Executed", "order_number": 1300000000111170.0, "buy_sell": "1",
       "volume": 5, "market_limit_sl": "market", "executed_price": 120275.0, "message": "done"}


def record(local_id: str = "L1") -> OrderRecord:
    return OrderRecord(local_id, OrderRequest("2885", Side.BUY, OrderKind.MARKET, 5), "RELIANCE", now_ist(),
                       sent_at=1.0)


def test_sent_then_response_roundtrip(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    assert journal.notice is None
    rec = record()
    journal.record_sent(rec)
    rec.status, rec.order_number, rec.executed_price = OrderStatus.EXECUTED, "1300000000111170", 120275
    rec.pending_at, rec.final_at = 1.01, 1.2
    journal.record_update(rec, OrderUpdate.from_payload(RAW), RAW)
    journal.close()
    again = Journal.open(tmp_path)
    (order,) = again.orders_for(now_ist().date())
    assert (order.local_id, order.status, order.order_number, order.executed_price, order.events) == (
        "L1", OrderStatus.EXECUTED, "1300000000111170", 120275, 2)
    assert order.request == rec.request
    events = again.events_for("L1")
    assert events[0][0] == "sent" and events[0][2]["token_number"] == "2885"
    assert events[1] == ("response", "Executed", RAW)  # raw payload kept as it came
    row = again.db.execute("SELECT pending_ms, final_ms FROM orders").fetchone()
    assert round(row[0]) == 10 and round(row[1]) == 200
    assert journal.write_seconds and max(journal.write_seconds) < 1


def test_unknown_foreign_orders_are_kept(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    foreign = record("X1300000000111180")
    foreign.status = OrderStatus.PENDING
    journal.record_update(foreign, OrderUpdate.from_payload(RAW), RAW)  # never "sent" by us
    assert [o.local_id for o in journal.orders_for(now_ist().date())] == ["X1300000000111180"]


def test_migrates_v1_journal_keeping_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.executescript(MIGRATIONS[0] + ";PRAGMA user_version=1;")
    db.execute("INSERT INTO orders (local_id, trade_date, created_at, token, symbol, side, kind, quantity, price, "
               "trigger_price, ltp, status, message, order_number, executed_price, updated_at) VALUES "
               "('OLD', ?, ?, '22', 'ACC', 'S', 'limit', 3, 220800, 0, 220700, 'Pending', '', '77', 0, '')",
               (now_ist().date().isoformat(), now_ist().isoformat()))
    db.commit()
    db.close()
    journal = Journal.open(tmp_path)
    assert journal.notice is None
    assert journal.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (order,) = journal.orders_for(now_ist().date())
    assert order.local_id == "OLD" and order.request.price == 220800 and order.status is OrderStatus.PENDING
    journal.db.execute("SELECT pending_ms FROM orders")  # the v2 column exists


def test_corrupt_journal_is_kept_aside_and_app_goes_on(tmp_path: Path) -> None:
    garbage = b"this is not a database" * 100
    (tmp_path / FILE_NAME).write_bytes(garbage)
    journal = Journal.open(tmp_path)
    assert journal.notice and "kept as journal.db.corrupt-" in journal.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("journal.db.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage  # nothing silently discarded
    journal.record_sent(record())
    assert len(journal.orders_for(now_ist().date())) == 1


def test_locked_journal_uses_a_fresh_file(tmp_path: Path) -> None:
    first = Journal.open(tmp_path)
    first.record_sent(record("A"))
    holder = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another window is writing
    second = Journal.open(tmp_path, busy_timeout=0.2)
    assert second.notice and "in use by another" in second.notice
    assert second.path.name.startswith("journal-") and second.path != first.path
    second.record_sent(record("B"))
    holder.execute("ROLLBACK")
    assert [o.local_id for o in first.orders_for(now_ist().date())] == ["A"]


def test_newer_schema_is_not_overwritten(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    db.close()
    journal = Journal.open(tmp_path)
    assert journal.notice and "newer than this app" in journal.notice
    # not corruption (issue 19 item 8): the newer app's file keeps its name and content; this session journals aside
    assert not any(p.name.startswith("journal.db.corrupt-") for p in tmp_path.iterdir())
    assert journal.path.name.startswith("journal-")
    check = sqlite3.connect(tmp_path / FILE_NAME)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
