"""Issue 19, items 8–11: the journal under a full disk, a read-only data folder and a second window.

Disk-full and read-only run on a small tmpfs mounted for the test (root, as in CI); where mounting is not allowed
they are skipped with the reason. The two-instance test runs two real processes on one data dir. Each test failed
on af75238: a healthy journal renamed "corrupt", "cannot rollback" instead of "disk is full", fills stuck at
"Sent", refused tickets kept as orders, two processes writing one journal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.services.orders import OrderRecord, OrderService
from airalgo_desktop.store.journal import FILE_NAME, Journal
from tests.api.conftest import fast_config

ROOT = Path(__file__).resolve().parents[2]


def record(local_id: str = "L1", qty: int = 5) -> OrderRecord:
    return OrderRecord(local_id, OrderRequest("2885", Side.BUY, OrderKind.MARKET, qty), "RELIANCE", now_ist(),
                       sent_at=1.0)


@contextlib.contextmanager
def small_fs(where: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (skips the test where mounting is not permitted)."""
    where.mkdir(parents=True, exist_ok=True)
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (CI runs as root); not permitted here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mount not permitted here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_disk(folder: Path) -> None:
    """Write until the filesystem says ENOSPC (4 KB chunks, then single bytes)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (b"\0" * 4096, b"\0"):
            with contextlib.suppress(OSError):
                while os.write(fd, chunk):
                    pass
    finally:
        os.close(fd)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ------------------------------------------------------------------------------------------ item 9 (no mount)
def test_a_full_database_reports_the_real_error_not_a_rollback_error(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_sent(record("A"))
    pages = journal.db.execute("PRAGMA page_count").fetchone()[0]
    journal.db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "database or disk is full"
    with pytest.raises(Exception) as info:
        for i in range(200):
            journal.record_sent(record(f"B{i}", qty=i + 1))
    assert "full" in str(info.value), str(info.value)
    assert "rollback" not in str(info.value).lower()
    assert not journal.db.in_transaction


# ------------------------------------------------------------------------------------------ item 8
def test_read_only_data_folder_leaves_the_journal_alone_and_says_so(tmp_path: Path) -> None:
    from airalgo_desktop.store.journal import UnavailableJournal, open_journal

    with small_fs(tmp_path / "fs") as mnt:
        data = mnt / "data"
        journal = Journal.open(data)
        journal.record_sent(record("KEEP"))
        journal.close()
        before = snapshot(data)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        opened = open_journal(data)  # what the app calls at start: a message, not an exception
        assert isinstance(opened, UnavailableJournal)
        assert opened.notice and "read-only" in opened.notice and "left as it is" in opened.notice
        assert opened.orders_for(now_ist().date()) == []
        with pytest.raises(Exception, match="read-only"):
            opened.record_sent(record("NEW"))
        assert snapshot(data) == before  # nothing renamed "corrupt", nothing written
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
        again = Journal.open(data)
        assert again.notice is None and [o.local_id for o in again.orders_for(now_ist().date())] == ["KEEP"]
        again.close()


def test_full_disk_at_start_is_not_corruption(tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs", "512k") as mnt:
        data = mnt / "data"
        journal = Journal.open(data)
        journal.record_sent(record("KEEP"))
        journal.close()
        fill_disk(mnt)
        from airalgo_desktop.store.journal import open_journal

        opened = open_journal(data)
        assert not any(".corrupt-" in p.name for p in data.iterdir())  # the healthy journal keeps its name
        assert (data / FILE_NAME).exists()
        if isinstance(opened, Journal):  # SQLite could open it without writing: today's orders are there
            assert [o.local_id for o in opened.orders_for(now_ist().date())] == ["KEEP"]
        else:
            assert opened.notice and "full" in opened.notice
        opened.close()
        (mnt / "filler").unlink()
        again = Journal.open(data)
        assert [o.local_id for o in again.orders_for(now_ist().date())] == ["KEEP"]
        again.close()


# ------------------------------------------------------------------------------------------ items 9 and 10
async def test_disk_full_never_hides_a_fill_and_never_keeps_a_refused_ticket(sim, tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs", "1m") as mnt:
        journal = Journal.open(mnt / "data")
        sim.engine.fill_delay = 0.6
        client = AirAlgoClient(fast_config(sim))
        service = OrderService(client, sim.master, journal=journal)
        seen: list[tuple[str, OrderStatus, str]] = []
        service.add_listener(lambda r: seen.append((r.local_id, r.status, r.message)))
        try:
            await client.start()
            await client.wait_for(lambda s: s.joined, 10)
            first = service.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 7))  # journalled, then sent
            fill_disk(mnt)  # the disk fills while the exchange works on it
            with pytest.raises(Exception) as refused:
                service.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 8))
            assert "full" in str(refused.value)
            assert "rollback" not in str(refused.value).lower()
            for _ in range(500):  # the answer still arrives and is shown
                if first.status is OrderStatus.EXECUTED:
                    break
                await asyncio.sleep(0.01)
            assert first.status is OrderStatus.EXECUTED
            assert "not journalled" in first.message
            assert (first.local_id, OrderStatus.EXECUTED) in [(lid, st) for lid, st, _m in seen]
            # the refused ticket never reached the exchange
            assert [p["quantity"] for _k, p in sim.stats.orders_received] == [7]
            assert list(service.records) == [first.local_id]  # …and left no order behind
            assert [o.quantity for o in service.recent_orders(60)] == [7]  # so it cannot trip the duplicate guard
        finally:
            await client.close()
            journal.close()


def test_an_answer_the_journal_cannot_take_still_reaches_the_screen(tmp_path: Path) -> None:
    """The same promise without a mount: a journal whose update write fails."""

    class FailingJournal:
        def record_sent(self, record: OrderRecord) -> None:
            pass

        def record_update(self, record: OrderRecord, update: OrderUpdate | None, raw: dict | None) -> None:
            raise sqlite3.OperationalError("database or disk is full")

    class Client:
        machine = None

        def add_listener(self, _listener) -> None:
            pass

        def now(self) -> float:
            return 1.0

    service = OrderService(Client(), None, journal=FailingJournal())  # type: ignore[arg-type]
    seen: list[OrderStatus] = []
    service.add_listener(lambda r: seen.append(r.status))
    rec = record("L9")
    service.records[rec.local_id] = rec
    payload = {"token_number": "2885", "status": "Executed", "order_number": "77", "buy_sell": "1", "volume": 5,
               "market_limit_sl": "market", "executed_price": 120275.0}
    service._on_update("L9", OrderUpdate.from_payload(payload))
    assert seen == [OrderStatus.EXECUTED] and "not journalled" in rec.message and rec.executed_price == 120275


# ------------------------------------------------------------------------------------------ item 11
def test_a_second_journal_in_the_same_folder_goes_to_its_own_file(tmp_path: Path) -> None:
    first = Journal.open(tmp_path)
    second = Journal.open(tmp_path)  # another window, while the first is open but idle
    try:
        assert second.path != first.path and second.path.name.startswith("journal-")
        assert second.notice and "in use by another AirAlgo Desktop window" in second.notice
        first.record_sent(record("A"))
        second.record_sent(record("B"))
        assert [o.local_id for o in first.orders_for(now_ist().date())] == ["A"]
    finally:
        second.close()
        first.close()
    third = Journal.open(tmp_path)  # the first let go: the next start owns journal.db again
    assert third.path.name == FILE_NAME and third.notice is None
    third.close()


def test_two_processes_on_one_data_dir_keep_separate_journals(tmp_path: Path) -> None:
    count = 200
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "store" / "journal_child.py"), str(tmp_path),
                                  prefix, str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=env) for prefix in ("P", "Q")]
    try:
        opened = [child.stdout.readline().split() for child in children]  # type: ignore[union-attr]
        for child in children:
            child.stdin.write("go\n")  # type: ignore[union-attr]
            child.stdin.flush()  # type: ignore[union-attr]
        assert [child.stdout.readline().strip() for child in children] == ["done", "done"]  # type: ignore[union-attr]
    finally:
        for child in children:
            with contextlib.suppress(Exception):
                child.communicate(timeout=30)
    names = sorted(line[1] for line in opened)
    assert names[0] != names[1] and FILE_NAME in names, opened
    for name in names:
        db = sqlite3.connect(tmp_path / name)
        assert db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == count
        db.close()
    restarted = Journal.open(tmp_path)  # "N orders today" after a restart counts this window's orders only
    assert len(restarted.orders_for(now_ist().date())) == count
    restarted.close()


# ------------------------------------------------------------------------------------------ issue 26, item 1
async def test_fills_answered_on_a_full_disk_are_written_once_it_has_room(sim, tmp_path: Path) -> None:
    """Five orders execute while the disk is full: shown at once, kept, and in journal.db as Executed once space
    is freed — a restart shows every fill the screen showed (they stayed "Sent" and came back Unknown before)."""
    from airalgo_desktop.desk import TradingDesk
    from airalgo_desktop.settings import MemoryStore, Prefs

    with small_fs(tmp_path / "fs", "1m") as mnt:
        data = mnt / "data"
        journal = Journal.open(data)
        sim.engine.fill_delay = 0.6
        client = AirAlgoClient(fast_config(sim))
        service = OrderService(client, sim.master, journal=journal)
        try:
            await client.start()
            await client.wait_for(lambda s: s.joined, 10)
            placed = [service.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, q)) for q in range(1, 6)]
            fill_disk(mnt)  # the disk fills while the exchange works on them
            for _ in range(500):
                if all(r.status is OrderStatus.EXECUTED for r in placed):
                    break
                await asyncio.sleep(0.01)
            assert all(r.status is OrderStatus.EXECUTED and "not journalled" in r.message for r in placed)
            assert len(journal.pending) >= 5  # kept (Pending and Executed answers), oldest first
            assert journal.retry_pending(force=True) == 0  # still full: still kept
            (mnt / "filler").unlink()  # space is freed
            journal._last_retry = float("-inf")
            assert journal.retry_pending() >= 5 and journal.pending == []
            assert not journal.side_path.exists()
            later = service.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 9))  # journals fine, after them
            for _ in range(500):
                if later.status is OrderStatus.EXECUTED:
                    break
                await asyncio.sleep(0.01)
        finally:
            await client.close()
            journal.close()
        again = Journal.open(data)
        try:
            desk = TradingDesk(sim.master, again, Prefs(MemoryStore()))
            restored = {r.local_id: r for r in desk.ledger.restore()}
            assert [restored[r.local_id].status for r in placed] == [OrderStatus.EXECUTED] * 5
            assert desk.pnl.positions.positions["2885"].net == 15 + 9
            assert len(desk.pnl.positions.fills) == 6
        finally:
            again.close()


def test_answers_kept_in_the_side_file_reach_the_journal_at_the_next_start(tmp_path: Path) -> None:
    """The app quits while SQLite still refuses (here its own page limit; the file system has room): the kept
    answers are in journal.db.pending and the next start writes them, in order, once."""
    journal = Journal.open(tmp_path)
    rec = record("A")
    journal.record_sent(rec)
    pages = journal.db.execute("PRAGMA page_count").fetchone()[0]
    journal.db.execute(f"PRAGMA max_page_count={pages}")
    raw = {"status": "Executed", "order_number": "77", "executed_price": 120275.0, "message": "x" * 5000}
    rec.status, rec.order_number, rec.executed_price = OrderStatus.PENDING, "77", 0
    with pytest.raises(Exception, match="kept, and written when the journal works again") as info:
        journal.record_update(rec, OrderUpdate.from_payload({**raw, "status": "Pending"}), raw)
    assert "full" in str(info.value)
    rec.status, rec.executed_price = OrderStatus.EXECUTED, 120275
    with pytest.raises(Exception, match=r"\(2 waiting\)"):
        journal.record_update(rec, OrderUpdate.from_payload(raw), raw)
    side = journal.side_path.read_text(encoding="utf-8")
    journal.close()  # the last try fails too: the side file stays
    assert journal.side_path.read_text(encoding="utf-8") == side
    again = Journal.open(tmp_path)
    try:
        (order,) = again.orders_for(now_ist().date())
        assert (order.status, order.executed_price, order.events) == (OrderStatus.EXECUTED, 120275, 3)
        assert [e[1] for e in again.events_for("A")] == ["Sent", "Pending", "Executed"]
        assert not again.side_path.exists() and again.pending == []
        # a crash after the write but before the side file went: read again, nothing is doubled
        first = json.loads(side.splitlines()[0])
        first["update"][0] = ["not", "a", "status"]  # a hand-edited line: would fail every later write
        again.side_path.write_text(side + json.dumps(first) + '\n{"order": [1, 2', encoding="utf-8")  # torn last
        again._load_side_file()
        assert again.orders_for(now_ist().date())[0].events == 3 and not again.side_path.exists()
        again.record_sent(record("NEXT"))  # the journal is not blocked by them
    finally:
        again.close()


def test_orders_expiring_at_midnight_on_a_full_disk_all_expire_and_are_kept(tmp_path: Path) -> None:
    """The desk's timer expires yesterday's open orders; a journal refusing the write must not stop it after the
    first (an exception in the timer) — each change is kept and written later."""
    from datetime import timedelta

    from airalgo_desktop.desk import TradingDesk
    from airalgo_desktop.instruments.demo import load_sample
    from airalgo_desktop.settings import MemoryStore, Prefs

    journal = Journal.open(tmp_path)
    desk = TradingDesk(load_sample(), journal, Prefs(MemoryStore()))
    try:
        for name in ("A", "B"):
            rec = record(name)
            rec.created -= timedelta(days=1)
            journal.record_sent(rec)
            desk.ledger.records[name] = rec
        pages = journal.db.execute("PRAGMA page_count").fetchone()[0]
        journal.db.execute(f"PRAGMA max_page_count={pages}")
        for size in (2000, 200, 20, 1):  # use up the free room left in those pages
            with contextlib.suppress(sqlite3.OperationalError):
                for _ in range(10_000):
                    journal.db.execute("INSERT INTO events (local_id, at, kind, raw) VALUES ('F', '', 'x', ?)",
                                       ("x" * size,))
        assert desk.ledger.expire_day_orders(now_ist().date()) == 2
        assert [r.status for r in desk.ledger.records.values()] == [OrderStatus.EXPIRED] * 2
        assert len(journal.pending) == 2
    finally:
        journal.close()
