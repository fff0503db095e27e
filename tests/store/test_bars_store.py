"""The bar store: minutes written as they close and read back after a restart (gaps stay gaps), earlier days
compacted and readable per token, pruning after N days, a damaged file set aside with a notice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from airalgo_desktop.domain.bars import SealedMinute, day_number
from airalgo_desktop.domain.nsetime import format_ltt
from airalgo_desktop.services.bars import BarBuilder
from airalgo_desktop.store.bars import FILE_NAME, BarStore
from tests.services.test_bars import DAY0, Clock, hhmm, ltt, tick

D0 = day_number(DAY0.timestamp())


def trade(b: BarBuilder, minutes: range, tokens: tuple[str, ...] = ("22", "44")) -> None:
    for m in minutes:
        b.on_ticks({t: tick(100_00 + m * 10 + i, 1 + i, ltt(m, 20)) for i, t in enumerate(tokens)})
        b.flush()


def new_builder() -> BarBuilder:
    return BarBuilder(clock=lambda: DAY0.timestamp() + 86_400, monotonic=Clock())


def test_restart_restores_the_day_and_the_closed_gap_stays_a_gap(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path)
    b = new_builder()
    trade(b, range(0, 10))
    store.submit(b.take_sealed())  # 09:15…09:23 (09:24 still open)
    b.seal_all()  # app quits: the open minute is written too
    store.submit(b.take_sealed())
    before = b.bars("22")
    store.close()

    again = BarStore.open(tmp_path)
    assert again.notice is None
    b2 = new_builder()
    b2.restore(again.load_day(D0))
    restored = b2.bars("22")
    assert hhmm(restored) == hhmm(before) and restored.close.tolist() == before.close.tolist()
    assert restored.volume.tolist() == before.volume.tolist() and np.allclose(restored.pv, before.pv)
    trade(b2, range(30, 32))  # the app was closed 09:25…09:44
    assert hhmm(b2.bars("22"))[9:] == ["09:24", "09:45", "09:46"]
    # VWAP carries across the restart: ten restored minutes at 100.00 + m × 0.10, qty 1, then 103.00 and 103.10
    assert b2.bars("22").vwap[-1] == (sum(100_00 + m * 10 for m in range(10)) + 103_00 + 103_10) / 12
    again.close()


def test_earlier_days_compact_per_token_and_read_as_history(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path)
    for offset in (2, 1):  # two earlier sessions
        b = new_builder()
        shift = -offset * 86_400
        for m in range(3):
            at = format_ltt(DAY0 + timedelta(minutes=m, seconds=shift + 5))
            b.on_ticks({"22": tick(1000 * offset + m, 1, at), "44": tick(5, 1, at)})
        b.seal_all()
        store.save(b.take_sealed())
    assert store.days() == [D0 - 2, D0 - 1]
    history_before = store.history("22", D0)
    assert store.compact(D0) == 2
    assert store.db.execute("SELECT COUNT(*) FROM minutes").fetchone()[0] == 0
    history = store.history("22", D0)
    assert history.close.tolist() == history_before.close.tolist() == [2000, 2001, 2002, 1000, 1001, 1002]
    assert hhmm(history) == ["09:15", "09:16", "09:17"] * 2
    assert store.previous_close("22", D0) == 1002 and store.previous_close("99", D0) is None
    assert len(store.history("22", D0, days=1)) == 3
    store.close()


def test_pruning_keeps_n_days(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path, keep_days=30)
    o = np.array([100], np.int32)
    for day in (D0 - 40, D0 - 31, D0 - 30, D0 - 1, D0):
        store.save([SealedMinute(day, 600, ["22"], o, o, o, o, np.array([1]), np.array([100.0]))])
    store.compact(D0 - 30)  # some old days compacted, some still as minutes: both are pruned
    assert store.prune(D0) == 2
    assert store.days() == [D0 - 30, D0 - 1, D0]
    store.maintain(D0)
    assert store.days() == [D0 - 30, D0 - 1, D0]
    assert store.load_day(D0)[0].close.tolist() == [100]
    store.close()


def test_a_corrupt_store_is_set_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 200)
    store = BarStore.open(tmp_path)
    assert store.notice is not None and "kept as" in store.notice
    aside = [p.name for p in tmp_path.iterdir() if p.name.startswith(f"{FILE_NAME}.corrupt-")]
    assert aside and (tmp_path / aside[0]).read_bytes().startswith(b"this is not")
    b = new_builder()
    trade(b, range(3))
    b.seal_all()
    store.save(b.take_sealed())
    assert len(store.load_day(D0)) == 3
    store.close()


def test_a_damaged_row_found_while_reading_is_left_out_and_the_file_kept(tmp_path: Path) -> None:
    """A blob of the wrong size is one bad row (issue 26, item 8): left out and listed, the rest of the day reads,
    the file keeps its name (it was set aside whole before, losing every earlier day's bars)."""
    store = BarStore.open(tmp_path)
    o = np.array([100_00], np.int32)
    store.save([SealedMinute(D0, 556, ["22"], o, o, o, o, np.array([1]), np.array([100_00.0]))])
    store.db.execute("INSERT INTO minutes (day, minute, tokens, data) VALUES (?,?,?,?)", (D0, 555, "22", b"xx"))
    assert [m.minute for m in store.load_day(D0)] == [556]
    assert store.notice is None and not any(".corrupt-" in p.name for p in tmp_path.iterdir())
    (problem,) = store.take_problems()
    assert f"day {D0} minute 555: its data (2 bytes) does not hold 1 bars" in problem
    assert store.take_problems() == []  # said once
    store.close()


def test_a_full_day_of_1000_tokens_round_trips(tmp_path: Path) -> None:
    store = BarStore.open(tmp_path)
    tokens = [str(10_000 + i) for i in range(1000)]
    rng = np.random.default_rng(3)
    minutes = []
    for m in range(555, 555 + 375):
        o = rng.integers(10_000, 20_000, 1000).astype(np.int32)
        minutes.append(SealedMinute(D0, m, tokens, o, o + 7, o - 3, o + 1, rng.integers(1, 500, 1000), o * 2.0))
    store.save(minutes)
    store.close()
    store = BarStore.open(tmp_path)
    b = new_builder()
    b.restore(store.load_day(D0))
    bars = b.bars(tokens[123])
    assert len(bars) == 375 and bars.high.tolist() == [int(m.high[123]) for m in minutes]
    store.close()


def test_a_newer_store_is_left_alone_and_this_session_uses_its_own_file(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("PRAGMA user_version=99")
    db.close()
    store = BarStore.open(tmp_path)
    assert store.notice is not None and "newer" in store.notice and store.path.name.startswith("bars-")
    assert (tmp_path / FILE_NAME).exists() and not any(".corrupt-" in p.name for p in tmp_path.iterdir())
    store.close()


def test_a_full_disk_is_not_damage_the_file_stays_and_bars_live_in_memory(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    BarStore.open(tmp_path).close()  # an existing, healthy file

    def full(self) -> None:
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorname = "SQLITE_FULL"
        raise exc

    monkeypatch.setattr(BarStore, "_connect", full)
    store = BarStore.open(tmp_path)
    assert store.db is None and "in memory" in store.notice
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(FILE_NAME)] == [FILE_NAME]  # left as it is
    o = np.array([100], np.int32)
    store.save([SealedMinute(D0, 600, ["22"], o, o, o, o, np.array([1]), np.array([100.0]))])  # a no-op
    assert store.load_day(D0) == [] and len(store.history("22", D0)) == 0 and store.prune(D0) == 0
    store.close()
