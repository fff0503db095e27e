"""Issue 26, item 2 and the journal's small items of 13: rows read back go through the wire's parsers. A row the app
cannot have written (text 'NaN', non-UTF-8 bytes, a garbage time, 1e400 in a check, 1e308, 2⁶³−1) is left out and
listed with its id — the rest of the day loads; the app never exits, never shows an absurd figure. Each case failed
on da4063f (TypeError, "Could not decode to UTF-8", ValueError, OverflowError, −inf P&L, a net of 2⁶³)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from airalgo_desktop.desk import Problem, TradingDesk
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.journal import FILE_NAME, SCHEMA_VERSION, Journal

NOON = datetime(2025, 2, 10, 12, 0, tzinfo=IST)  # a fixed day: nothing here depends on today's date
DAY = NOON.date()


def executed(local_id: str, qty: int = 5, price: int = 120275) -> OrderRecord:
    rec = OrderRecord(local_id, OrderRequest("2885", Side.BUY, OrderKind.MARKET, qty), "RELIANCE", NOON)
    rec.status, rec.order_number, rec.executed_price = OrderStatus.EXECUTED, f"9{local_id}", price
    return rec


def journal_with(tmp_path: Path, ids: list[str]) -> None:
    journal = Journal.open(tmp_path, clock=lambda: NOON)
    for local_id in ids:
        rec = executed(local_id)
        journal.record_sent(rec)
        journal.record_update(rec, None, None)
    journal.close()


BAD = {
    "quantity 'NaN'": ("UPDATE orders SET quantity='NaN' WHERE local_id='BAD'", "quantity 'NaN'"),
    "price 'NaN'": ("UPDATE orders SET executed_price='NaN' WHERE local_id='BAD'", "executed price 'NaN'"),
    "symbol not UTF-8": ("UPDATE orders SET symbol=CAST(x'52454cff' AS TEXT) WHERE local_id='BAD'",
                         "symbol is not UTF-8"),
    "message not UTF-8": ("UPDATE orders SET message=CAST(x'c328' AS TEXT) WHERE local_id='BAD'",
                          "message is not UTF-8"),
    "created_at garbage": ("UPDATE orders SET created_at='garbage' WHERE local_id='BAD'", "'garbage' is not a time"),
    "1e400 in the check": ("""UPDATE orders SET checked='{"outcome": "executed", "price": 1e400, "note": "n"}'
                              WHERE local_id='BAD'""", "check has price inf"),
    "1e308 price": ("UPDATE orders SET executed_price=1e308 WHERE local_id='BAD'", "executed price 1e+308"),
    "int64-max quantity": ("UPDATE orders SET quantity=9223372036854775807 WHERE local_id='BAD'", "quantity 92233"),
    "token text": ("UPDATE orders SET token='RELIANCE' WHERE local_id='BAD'", "token 'RELIANCE'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_hostile_row_is_left_out_and_listed_the_rest_loads(tmp_path: Path, case: str) -> None:
    journal_with(tmp_path, ["GOOD1", "BAD", "GOOD2"])
    sql, why = BAD[case]
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute(sql)
    db.commit()
    db.close()
    journal = Journal.open(tmp_path, clock=lambda: NOON)
    desk = TradingDesk(load_sample(), journal, Prefs(MemoryStore()))
    notices: list = []
    desk.add_listener(notices.append)
    try:
        records = desk.ledger.restore(DAY)
        assert [r.local_id for r in records] == ["GOOD1", "GOOD2"]
        assert desk.pnl.positions.positions["2885"].net == 10  # never 2⁶³, never a NaN
        pnl = desk.pnl.positions.total({"2885": 120300})
        assert pnl == 2 * 5 * (120300 - 120275)  # a figure, never ±inf
        (problem,) = [n for n in notices if isinstance(n, Problem)]
        assert problem.persistent and "BAD" in problem.message and why in problem.message, problem.message
        assert "1 order(s) in the journal could not be read" in problem.message
    finally:
        journal.close()
    db = sqlite3.connect(tmp_path / FILE_NAME)
    assert db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 3  # the bad row is kept, only left out
    db.close()


def test_an_unreadable_event_payload_is_none(tmp_path: Path) -> None:
    journal_with(tmp_path, ["A"])
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("UPDATE events SET raw=CAST(x'7bff' AS TEXT) WHERE kind='sent'")
    db.commit()
    db.close()
    journal = Journal.open(tmp_path)
    try:
        assert [(kind, raw) for kind, _status, raw in journal.events_for("A")] == [("sent", None), ("local", None)]
    finally:
        journal.close()


def test_a_newer_schema_journal_is_not_changed_at_all(tmp_path: Path) -> None:
    """It "is not changed" — and now its header is not switched to WAL either (4 bytes changed before)."""
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("CREATE TABLE future (x)")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = (tmp_path / FILE_NAME).read_bytes()
    journal = Journal.open(tmp_path)
    try:
        assert journal.path.name != FILE_NAME and "newer version" in (journal.notice or "")
    finally:
        journal.close()
    assert (tmp_path / FILE_NAME).read_bytes() == before


def test_an_unknown_orders_fill_stamped_an_earlier_day_is_todays_after_a_restart(tmp_path: Path) -> None:
    """An order placed elsewhere whose answer carries yesterday's time counts today (it reached the app today):
    it is journalled on today's trading day, so a restart shows it again (it vanished before)."""
    journal = Journal.open(tmp_path, clock=lambda: NOON)
    foreign = executed("X77")
    foreign.created = NOON - timedelta(days=1)
    journal.record_update(foreign, OrderUpdate.from_payload({"status": "Executed", "order_number": "77"}), {})
    journal.close()
    again = Journal.open(tmp_path, clock=lambda: NOON)
    try:
        assert [o.local_id for o in again.orders_for(DAY)] == ["X77"]
        assert again.unanswered_before(DAY) == []
    finally:
        again.close()
