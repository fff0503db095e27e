"""The journal's risk events (the day lock across restarts): the v4 table, its migration from every earlier
schema, and the stand-in journal that cannot be used."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.store.journal import (
    FILE_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    Journal,
    JournalUnavailable,
    JournalWriteError,
    UnavailableJournal,
)

DAY = date(2026, 12, 4)


def test_risk_events_roundtrip_per_day(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_risk(DAY, "lock", {"reason": "the day's loss reached your limit", "at": 12.5, "day_pnl": -500000})
    journal.record_risk(DAY, "unlock", {"at": 20.0})
    journal.record_risk(date(2026, 12, 7), "lock", {"reason": "kill switch", "at": 30.0})
    journal.close()
    again = Journal.open(tmp_path)
    events = again.risk_events(DAY)
    assert [(k, d) for k, d, _ in events] == [
        ("lock", {"reason": "the day's loss reached your limit", "at": 12.5, "day_pnl": -500000}),
        ("unlock", {"at": 20.0})]
    assert all(at for _, _, at in events)
    assert [k for k, _, _ in again.risk_events(date(2026, 12, 7))] == ["lock"]
    assert again.risk_events(date(2026, 12, 8)) == []


def test_unreadable_detail_reads_as_empty(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.db.execute("INSERT INTO risk_events (trade_date, at, kind, detail) VALUES (?, 'x', 'lock', 'not json')",
                       (DAY.isoformat(),))
    assert journal.risk_events(DAY) == [("lock", {}, "x")]


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_migrates_from_every_earlier_schema(tmp_path: Path, version: int) -> None:
    db = sqlite3.connect(tmp_path / FILE_NAME)
    script = "".join(MIGRATIONS[n] + ";" for n in range(version))
    db.executescript(script + f"PRAGMA user_version={version};")
    db.close()
    journal = Journal.open(tmp_path)
    assert journal.notice is None
    assert journal.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    journal.record_risk(DAY, "lock", {"reason": "r", "at": 1.0})
    assert [k for k, _, _ in journal.risk_events(DAY)] == ["lock"]


def test_unavailable_journal_refuses_the_write_and_reads_nothing() -> None:
    stand_in = UnavailableJournal(JournalUnavailable("the journal folder is read-only", "read-only"))
    with pytest.raises(JournalWriteError):
        stand_in.record_risk(DAY, "lock", {})
    assert stand_in.risk_events(DAY) == []
