"""Issue 26, items 6–8: bars.db under another program's lock, a full disk and hostile rows. The window never waits
for the file (reads in the bar book's reader thread, writes in the store's writer), minutes the file refuses are
kept and written later, the file is left as it is, the banner is told once; a row the app cannot have written is
left out and listed. Each failed on da4063f: a UI-thread read through SQLite's busy timeout, "cannot rollback - no
transaction is active", sealed minutes lost, "a bytes-like object is required", a close of 1 paisa drawn."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from airalgo_desktop.domain.bars import SealedMinute, day_number
from airalgo_desktop.services.barbook import BarBook
from airalgo_desktop.store.bars import FILE_NAME, BarStore
from tests.services.test_bars import DAY0
from tests.store.test_journal_faults import fill_disk, small_fs

D0 = day_number(DAY0.timestamp())


def minute(m: int, tokens: tuple[str, ...] = ("22",), price: int = 100_00, day: int = D0) -> SealedMinute:
    n = len(tokens)
    o = np.full(n, price, np.int32)
    return SealedMinute(day, m, list(tokens), o, o + 5, o - 5, o + 1, np.full(n, 3, np.int64),
                        np.full(n, price * 3.0))


@contextmanager
def foreign_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding bars.db's write lock (WAL: readers go on, writers are refused while it lasts)."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE IF NOT EXISTS foreign_scratch (x)")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_foreign_lock_keeps_minutes_in_memory_and_writes_them_afterwards(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path)
    assert store.save([minute(555)])
    with foreign_lock(tmp_path / FILE_NAME):
        assert not store.save([minute(556)])  # refused: kept, not lost
        assert not store.save([minute(557)])
        assert sorted(store.unsaved) == [(D0, 556), (D0, 557)]
        (problem,) = store.take_problems()  # said once, however many minutes it refuses
        assert "locked by another program" in problem and "kept in memory" in problem
        assert "rollback" not in problem.lower()
        assert store.read_history("22", D0 + 1) is not None  # reads go on (WAL)
    assert store.save([minute(558)])  # it let go: everything kept goes in, in order
    assert store.unsaved == {} and not store.db.in_transaction
    assert [m.minute for m in store.load_day(D0)] == [555, 556, 557, 558]
    store.close()


def test_the_chart_never_reads_bars_db_on_its_own_thread(tmp_path: Path) -> None:
    """Earlier days come from the reader thread (the chart shows today meanwhile; they move the version when they
    arrive), while the writer thread retries minutes another program's lock refuses; a read the file refuses is
    asked again later. The UI-thread stall is measured in benchmarks/bars_lock.py, not here."""
    store = BarStore.open(tmp_path)
    store.save([minute(600, day=D0 - 1, price=90_00)])
    store.close()
    book = BarBook(tmp_path, clock=lambda: DAY0.timestamp() + 3600)
    book.restore()
    readers: list[str] = []
    real = book.store.read_history
    refuse = [True]

    def spy(*args):  # type: ignore[no-untyped-def]
        readers.append(threading.current_thread().name)
        return None if refuse[0] else real(*args)

    book.store.read_history = spy  # type: ignore[method-assign]
    with foreign_lock(tmp_path / FILE_NAME):
        book.store.submit([minute(555)])  # the writer thread waits on the lock, the chart does not
        assert len(book.bars("22")) == 0  # nothing yet, and no waiting
        assert not book.wait_history(0.3)  # refused: not cached as "no bars"
        assert len(book.bars("22")) == 0  # …and not asked again at once
    refuse[0] = False
    book._loading.clear()  # (the book asks again after RETRY_HISTORY_S; the test does not wait for it)
    version = book.version
    book.bars("22")
    assert book.wait_history()
    assert book.bars("22").close.tolist() == [90_01] and book.version != version
    assert len(readers) == 2 and threading.main_thread().name not in readers
    book.store.drain()
    assert [m.minute for m in book.store.load_day(D0)] == [555]  # the refused minute went in after the lock
    book.close()


def test_a_full_database_keeps_the_minutes_and_says_so_not_cannot_rollback(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "database or disk is full"
    big = tuple(str(10_000 + i) for i in range(2000))
    assert not store.save([minute(600, big)])
    (problem,) = store.take_problems()
    assert "disk is full" in problem and "rollback" not in problem.lower()
    assert not store.db.in_transaction and (D0, 600) in store.unsaved
    store.db.execute("PRAGMA max_page_count=1073741823")
    assert store.save([])  # the next batch (even none) writes what was kept
    assert [len(m.tokens) for m in store.load_day(D0)] == [2000]
    store.close()


def test_a_full_disk_under_bars_db_leaves_the_file_and_writes_once_there_is_room(tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs", "1m") as mnt:
        data = mnt / "data"
        store = BarStore.open(data)
        assert store.save([minute(555)])
        store.close()
        store = BarStore.open(data)
        before = {p.name: p.read_bytes() for p in data.iterdir()}
        fill_disk(mnt)
        big = tuple(str(10_000 + i) for i in range(300))
        refused = [m for m in range(556, 566) if not store.save([minute(m, big)])]
        assert refused, "the disk never filled"
        assert any("disk is full" in p for p in store.take_problems())
        assert {p.name: p.read_bytes() for p in data.iterdir() if p.name == FILE_NAME} == {
            FILE_NAME: before[FILE_NAME]}  # the main file untouched (WAL frames that never committed do not count)
        (mnt / "filler").unlink()
        assert store.save([])
        assert [m.minute for m in store.load_day(D0)] == list(range(555, 566))
        store.close()


def hostile(store: BarStore, sql: str, params: tuple) -> None:
    store.db.execute(sql, params)


@pytest.mark.parametrize("case", ["blob tokens", "close 1 paisa", "volume -5", "NaN", "wrong size"])
def test_a_hostile_row_is_left_out_and_listed_the_rest_reads(tmp_path: Path, case: str) -> None:
    store = BarStore.open(tmp_path)
    store.save([minute(555, ("22", "44"), day=D0 - 2), minute(556, ("22", "44"), day=D0 - 1)])
    row = minute(557, ("22", "44"), day=D0 - 1)
    if case == "close 1 paisa":
        row.close[0] = 1
    elif case == "volume -5":
        row.volume[0] = -5
    elif case == "NaN":
        row.pv[0] = np.nan
    store.save([row])
    if case == "blob tokens":
        store.db.execute("UPDATE minutes SET tokens=CAST(tokens AS BLOB) WHERE minute=557")
    elif case == "wrong size":
        store.db.execute("UPDATE minutes SET data=substr(data, 2) WHERE minute=557")
    history = store.history("22", D0)  # every chart read worked on; one broke them all before
    assert history.close.tolist() == [100_01, 100_01]  # 555 and 556; 557's bar of 22 is left out
    assert (history.low >= 1).all() and (history.volume >= 0).all() and np.isfinite(history.pv).all()
    whole_row = case in ("blob tokens", "wrong size")
    assert store.history("44", D0).close.tolist() == [100_01] * (2 if whole_row else 3)  # 44's bar was fine
    assert [m.minute for m in store.load_day(D0 - 1)] == [556] if whole_row else [556, 557]
    (problem,) = store.take_problems()
    assert f"day {D0 - 1} minute 557" in problem and "not drawn" in problem
    store.compact(D0)  # the day with a bad row is not compacted: compaction would delete the row
    assert store.db.execute("SELECT COUNT(*) FROM minutes WHERE minute=557").fetchone()[0] == 1
    store.close()
