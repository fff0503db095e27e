"""A chart's data feeder: which instrument and frame it shows, the bars on screen and their VWAP, fetched from the bar
source only when the source's version moved, and what changed since (nothing, the live bar only, or more)."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

from ..domain.bars import Bars, Frame
from ..domain.instruments import Master
from ..domain.money import Paisa

Change = Literal["all", "live"]
"""What a pull brought: ``"live"`` — only the last bar changed (a tick on the live minute); ``"all"`` — more."""


class BarSource(Protocol):
    """Where a chart gets its bars (the desk's :class:`~airalgo_desktop.services.barbook.BarBook`)."""

    @property
    def version(self) -> int:
        """Changes whenever any bar changed."""

    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        """Earlier sessions and today, oldest first — new arrays on every call, never changed afterwards (the chart
        compares them with the ones on screen to repaint only what changed)."""

    def previous_close(self, token: str) -> Paisa | None:
        """The last close before today."""


class BarFeed:
    """The bars of one chart. :meth:`pull` runs on the app's 4 Hz timer; it asks the source for the token's bars only
    when the source's version moved and says what changed against the bars on screen."""

    def __init__(self, source: BarSource, master: Master, frame: Frame = Frame.M1) -> None:
        self.source, self.master = source, master
        self.token: str | None = None
        self.frame = frame
        self.bars = Bars.empty()
        self.vwap_values = np.zeros(0)  # the bars' VWAP, computed once per change
        self._seen: tuple = ()
        self._shown: tuple = ()  # (token, frame) of the bars on screen

    def pull(self, force: bool = False) -> Change | None:
        """Fetch the bars if the source moved (or ``force``): what changed, or None when nothing did."""
        seen = (self.token, self.frame, self.source.version)
        if seen == self._seen and not force:
            return None
        self._seen = seen
        bars = self.source.bars(self.token, self.frame) if self.token else Bars.empty()
        shown = (self.token, self.frame)
        change = "all" if force or shown != self._shown else self._change(bars)
        if change == "none":  # the version moved for other tokens' ticks
            return None
        self._shown = shown
        self.bars = bars
        self.vwap_values = bars.vwap
        return change

    def _change(self, bars: Bars) -> Literal["all", "live", "none"]:
        """What changed against the bars on screen (same token and frame): ``"none"``; ``"live"`` — only the last
        bar, a tick on the live minute (four times a second), which repaints only that bar's column; or ``"all"``
        (a new bar, a late trade on an earlier one)."""
        old = self.bars
        if len(old) != len(bars) or not np.array_equal(old.time, bars.time):
            return "all"
        if not len(bars):
            return "none"
        columns = ((old.open, bars.open), (old.high, bars.high), (old.low, bars.low), (old.close, bars.close),
                   (old.volume, bars.volume), (old.pv, bars.pv))
        if not all(np.array_equal(a[:-1], b[:-1]) for a, b in columns):
            return "all"
        return "live" if any(a[-1] != b[-1] for a, b in columns) else "none"

    def previous_close(self) -> Paisa | None:
        """The instrument master's previous close (what the instrument panel shows); without one, the last close
        the bar store kept from an earlier session."""
        if not self.token:
            return None
        inst = self.master.get(self.token)
        if inst is not None and inst.prev_close:
            return inst.prev_close
        return self.source.previous_close(self.token)
