"""When the coalesced refresh runs: in the wake-up that brought the data, not on a timer of its own.

A 30 Hz refresh timer costs a wake-up 30 times a second even when nothing changed, and on a busy (or virtualised)
machine a wake-up is the dear part: the same frame of work costs about 0.25 ms when the process is already running
and about 0.8 ms after it slept (measured with ``benchmarks.frames``-style loops on the benchmark VM: caches and
the CPU go cold). Data arrives in wake-ups of its own anyway (a socket read), so the frame is run in that wake-up
once the previous frame is ``MIN_GAP_MS`` old, and data that comes sooner waits for the next arrival. A single
fallback timer, armed only while something is pending, bounds the wait: ``MAX_WAIT_MS`` for data when no more
comes, ``FADE_WAIT_MS`` for a flash that has to fade. An idle desk does not wake up for the watchlist at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

MIN_GAP_MS = 33  # at most ≈ 30 frames a second
MAX_WAIT_MS = 50  # a tick is on screen within this even if no more data comes (plus the paint)
FADE_WAIT_MS = 100  # with no data, a finished flash fades within this


class FrameClock(QObject):
    """Runs ``refresh`` at most every :data:`MIN_GAP_MS`, in the wake-up of the data that made it due.

    Call :meth:`data_arrived` whenever data was stored (the market store's ``on_apply`` hook: one cheap call per
    socket frame). ``pending`` says whether anything still needs frames with no new data (flashes fading).
    """

    def __init__(self, refresh: Callable[[], None], pending: Callable[[], bool] = lambda: False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._refresh = refresh
        self._pending = pending
        self._last = 0.0
        self._running = False
        self.frames = 0
        self._soon = QTimer(self)  # 0 ms: later in this same wake-up, after the rest of the socket read is stored
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self.run)
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self.run)

    def start(self) -> None:
        """Begin scheduling frames (one now, for whatever is already stored)."""
        self._running = True
        self._soon.start()

    def stop(self) -> None:
        """No more frames (shutdown)."""
        self._running = False
        self._soon.stop()
        self._fallback.stop()

    def data_arrived(self) -> None:
        """New data is in the store: run a frame in this wake-up if the last one is old enough, else make sure
        one comes within :data:`MAX_WAIT_MS`."""
        if not self._running:
            return
        if (time.monotonic() - self._last) * 1000 >= MIN_GAP_MS:
            if not self._soon.isActive():
                self._soon.start()
        elif not self._fallback.isActive() or self._fallback.remainingTime() > MAX_WAIT_MS:
            self._fallback.start(MAX_WAIT_MS)

    def run(self) -> None:
        """One frame now; the fallback is armed again only while a flash is still fading."""
        if not self._running:
            return
        self._soon.stop()
        self._fallback.stop()
        self._last = time.monotonic()
        self.frames += 1
        self._refresh()
        if self._pending():
            self._fallback.start(FADE_WAIT_MS)
