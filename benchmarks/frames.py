"""``python -m benchmarks.frames [FRAMES] [SLEEP_MS]``: where a watchlist frame's CPU goes.

Drives the UI path by hand in one offscreen process: apply one frame's updates, ``refresh``, then process events
until the viewport has painted (``QT_QPA_UPDATE_IDLE_TIME=0``, or Qt holds the paint back 5 ms for more updates as
it does on a real screen). Prints process CPU per frame for each phase at the per-frame load of 5,000 and 50,000
updates/s at 30 Hz. With ``SLEEP_MS`` = 0 (default) the frames run back to back: the cost of the work itself, hot in
the caches. With e.g. 30 the process sleeps between frames as the app does, and each frame starts cold: on the
2-core benchmark VM the same frame then costs about 3.5× as much (0.25 → 0.9 ms at 5,000/s), which is why the
number of wake-ups matters more there than the work done in each.
"""

from __future__ import annotations

import os
import sys
import time
from itertools import islice

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from .child import WINDOW, synthetic_master
from .common import quote_pool, synthetic_tokens


class Painted(QObject):
    """Counts the paints of a widget."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def frames(rate: int, count: int, sleep_ms: float = 0.0) -> dict[str, float]:
    """µs of CPU per frame for each phase at ``rate`` updates/s and 30 frames a second (``sleep_ms`` between
    frames)."""
    from airalgo_desktop.store.market import MarketStore
    from airalgo_desktop.ui.watchlist import WatchlistModel, WatchlistView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tokens = synthetic_tokens(1000)
    store = MarketStore()
    model = WatchlistModel("bench", synthetic_master(1000), store, tokens)
    view = WatchlistView(model)
    view.resize(*WINDOW)
    view.show()
    painted = Painted()
    view.viewport().installEventFilter(painted)
    per = min(1000, rate // 30)
    batches = [dict(islice(b.items(), per)) for b in quote_pool()]
    for batch in batches:  # warm-up: caches filled, every row has a quote
        store.apply(batch)
        model.refresh(store.take_dirty())
        app.processEvents()
    spent = {"apply": 0.0, "refresh": 0.0, "paint": 0.0}
    clock = time.process_time
    for i in range(count):
        t0 = clock()
        store.apply(batches[i % len(batches)])
        t1 = clock()
        emitted = model.refresh(store.take_dirty())
        t2 = clock()
        before = painted.count
        app.processEvents()
        while emitted and painted.count == before:
            app.processEvents()
        t3 = clock()
        spent["apply"] += t1 - t0
        spent["refresh"] += t2 - t1
        spent["paint"] += t3 - t2
        if sleep_ms:
            time.sleep(sleep_ms / 1000)
    view.close()
    out = {phase: 1e6 * total / count for phase, total in spent.items()}
    out["frame"] = sum(out.values())
    out["pct_of_core_at_30hz"] = out["frame"] * 30 / 1e4
    return out


def main() -> None:
    os.environ.setdefault("QT_QPA_UPDATE_IDLE_TIME", "0")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    sleep_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    for rate in (5000, 50000):
        result = frames(rate, count, sleep_ms)
        print(f"{rate:>6}/s: " + "  ".join(f"{k} {v:.1f}" + ("" if k.startswith("pct") else " µs")
                                           for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
