"""The UI thread's stall while another program holds ``bars.db``'s write lock (issue 26, item 6; target ≤ 50 ms).

A second process takes ``BEGIN IMMEDIATE`` on the file and keeps it. Meanwhile a stand-in for the window's timer
does, every 5 ms, what the UI thread does with bars: hand a batch of ticks to the bar book, ``poll()`` it (sealed
minutes go to the writer thread, which keeps meeting the lock), read a chart's bars — a different token each time,
so every read asks for earlier days — and take the store's banner sentences. The figure is the longest of those
iterations (and the 99th percentile). For contrast, the old path: the same earlier-days read made directly on the
calling thread (``BarStore.history``), which waits for the writer's hold on the connection.

Run: ``python -m benchmarks.bars_lock`` (prints one JSON line).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from airalgo_desktop.domain.nsetime import IST, format_ltt
from airalgo_desktop.services.barbook import BarBook
from airalgo_desktop.services.bars import SealedMinute, day_number
from airalgo_desktop.store.bars import FILE_NAME, BarStore

from .common import percentile

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS foreign_scratch (x)")
print("locked", flush=True)
sys.stdin.read()
"""


def _seed(folder: Path, tokens: list[str], day: int) -> None:
    store = BarStore.open(folder)
    n = len(tokens)
    for back in (1, 2, 3):
        o = np.full(n, 100_00, np.int32)
        store.save([SealedMinute(day - back, m, tokens, o, o + 5, o - 5, o, np.full(n, 3, np.int64),
                                 np.full(n, 300_00.0)) for m in range(555, 600)])
    store.close()


def bars_lock_stall(seconds: float = 8.0, tokens: int = 200, *, locked: bool = True) -> dict[str, float]:
    """Max and p99 (ms) of the UI-thread iterations under a foreign write lock (``locked``; without it: the same
    work's own cost, for comparison), and the old direct read's wait."""
    from datetime import datetime

    start = datetime(2025, 1, 9, 9, 15, tzinfo=IST)
    names = [str(10_000 + i) for i in range(tokens)]
    today = day_number(start.timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _seed(folder, names, today)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER if locked else "import sys; print('locked'); "
                                   "sys.stdin.read()", str(folder / FILE_NAME)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            book = BarBook(folder, clock=lambda: start.timestamp() + 3600)
            book.restore()
            stalls: list[float] = []
            direct: list[float] = []
            problems: list[str] = []
            i = 0
            until = time.perf_counter() + seconds
            while time.perf_counter() < until:
                at = format_ltt(start + timedelta(seconds=i * 2))  # a minute seals every 30 iterations
                quotes = {t: {"ltp": 100_00 + (i % 7), "ltq": 1, "ltt": at} for t in names}
                t0 = time.perf_counter()
                book.on_ticks(quotes)
                book.poll()
                book.bars(names[i % tokens])
                problems += book.take_problems()
                stalls.append(time.perf_counter() - t0)
                if i % 40 == 20 and book.store is not None:  # the old way, now and then: a read on this thread
                    t1 = time.perf_counter()
                    book.store.history(names[(i * 7) % tokens], today, 5)
                    direct.append(time.perf_counter() - t1)
                i += 1
                time.sleep(0.005)
            unsaved = len(book.store.unsaved) if book.store is not None else 0
        finally:
            if holder.stdin is not None:
                holder.stdin.close()
            holder.wait(timeout=10)
        book.close()
    ms = [s * 1000 for s in stalls]
    return {"ui_iterations": len(ms), "ui_stall_max_ms": round(max(ms), 2),
            "ui_stall_p99_ms": round(percentile(ms, 99), 2),
            "direct_read_max_ms": round(max(direct) * 1000, 1) if direct else 0.0,
            "minutes_kept_in_memory": unsaved, "banner": problems[0] if problems else ""}


if __name__ == "__main__":
    print(json.dumps({"foreign_lock": bars_lock_stall(), "no_lock": bars_lock_stall(locked=False)}))
