"""Issue 26 item 13 (small): what a killed import leaves (a ~30 MB ``instruments.npz.new``, a partial download) is
removed at the next start or import once it is stale; and a bar store another program has locked is said to be
locked by another program, not by "another AirAlgo Desktop window"."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import date
from pathlib import Path

from airalgo_desktop.instruments.importer import import_master, load_stored
from airalgo_desktop.store import instruments as store
from airalgo_desktop.store.bars import BarStore

FIX = Path(__file__).resolve().parents[1] / "instruments" / "fixtures"
TODAY = date(2025, 2, 10)


def _leftovers(data_dir: Path, age: float) -> list[Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = [data_dir / "instruments.npz.new", data_dir / f"{store.DOWNLOAD_PREFIX}k1l2m3.part"]
    for path in paths:
        path.write_bytes(b"\0" * 4096)
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
    return paths


def test_a_killed_imports_files_are_swept_at_the_next_import(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stale = _leftovers(data_dir, age=3600)
    import_master(str(FIX / "kite.csv"), data_dir, today=TODAY)
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in data_dir.iterdir()) == [store.FILE_NAME]


def test_they_are_swept_when_the_app_loads_the_master_but_a_running_imports_are_not(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    import_master(str(FIX / "kite.csv"), data_dir, today=TODAY)
    fresh = _leftovers(data_dir, age=5)  # another import writing right now
    assert load_stored(data_dir) is not None and all(p.exists() for p in fresh)
    assert store.sweep_stale(data_dir, now=time.time() + store.STALE_AFTER_S + 1) == fresh
    assert not any(p.exists() for p in fresh)


def test_a_bar_store_locked_by_another_program_is_named_so(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "bars.db", isolation_level=None)  # e.g. a database browser, in its own mode
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        bars = BarStore.open(tmp_path)
        try:
            assert bars.notice is not None and "is locked by another program" in bars.notice, bars.notice
            assert "AirAlgo Desktop window" not in bars.notice
        finally:
            bars.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
