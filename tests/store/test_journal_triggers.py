"""The journal's protective triggers (issue 28): the schema step that adds them, migrated from every earlier
version with the orders kept; a trigger saved, updated and read back; its events in order; junk rows left out."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.store.journal import FILE_NAME, MIGRATIONS, SCHEMA_VERSION, V_TRIGGERS, Journal

DAY = date(2025, 1, 9)


@pytest.mark.parametrize("version", range(1, MIGRATIONS.index(V_TRIGGERS) + 1))
def test_every_earlier_schema_migrates_and_keeps_its_orders(tmp_path: Path, version: int) -> None:
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.executescript(";".join(MIGRATIONS[:version]) + f";PRAGMA user_version={version};")
    db.execute("INSERT INTO orders (local_id, trade_date, created_at, token, symbol, side, kind, quantity, price, "
               "trigger_price, ltp, status, message, order_number, executed_price, updated_at) VALUES "
               "('OLD', ?, '2025-01-09T10:00:00+05:30', '22', 'ACC', 'S', 'limit', 3, 220800, 0, 220700, 'Pending', "
               "'', '77', 0, '')", (DAY.isoformat(),))
    db.commit()
    db.close()
    journal = Journal.open(tmp_path)
    assert journal.notice is None
    assert journal.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [o.local_id for o in journal.orders_for(DAY)] == ["OLD"]
    assert journal.triggers_for(DAY) == []
    journal.save_triggers(DAY, [("T1", "armed", {"id": "T1", "stop": 100}, "armed", "Stop-loss armed")])
    assert journal.triggers_for(DAY) == [{"id": "T1", "stop": 100}]
    journal.close()


def test_a_trigger_is_saved_updated_and_its_story_kept(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.save_triggers(DAY, [("T1", "armed", {"id": "T1", "state": "armed"}, "armed", "armed at 11:40"),
                                ("T2", "armed", {"id": "T2", "state": "armed"}, "armed", "")])
    journal.save_triggers(DAY, [("T1", "fired", {"id": "T1", "state": "fired"}, "fired", "Fired by your stop")])
    journal.save_triggers(DAY, [("T1", "fired", {"id": "T1", "state": "fired", "orders": ["A-1"]}, "sent", "A-1")])
    journal.close()
    again = Journal.open(tmp_path)
    assert again.triggers_for(DAY) == [{"id": "T1", "state": "fired", "orders": ["A-1"]},
                                       {"id": "T2", "state": "armed"}]
    assert again.triggers_for(date(2025, 1, 10)) == []
    assert again.trigger_events("T1") == [("armed", "armed at 11:40"), ("fired", "Fired by your stop"),
                                          ("sent", "A-1")]
    again.db.execute("INSERT INTO triggers (id, trade_date, state, spec, updated_at) VALUES ('T3', ?, 'armed', "
                     "'{not json', '')", (DAY.isoformat(),))
    assert [t["id"] for t in again.triggers_for(DAY)] == ["T1", "T2"]  # the junk row is left out
    again.close()
