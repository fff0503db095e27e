"""The day's P&L: positions from the ledger's fills, the one-minute bars of every ticking token and the MTM curve.

Fills arrive as :class:`FillsBooked` (the ledger never touches the positions); this part publishes
:class:`PositionsChanged` once they are in, and :class:`BarsRestored` when today's stored bars are back.
"""

from __future__ import annotations

import asyncio
import logging
import math

from ..api.events import Event, Ticks
from ..domain.bars import day_start
from ..domain.money import Paisa
from ..services.barbook import BarBook, day_pnl_curve
from ..services.mtm import MtmCurve
from ..services.positions import PositionBook
from .notices import BarsRestored, FillsBooked, PositionsChanged, Problem
from .part import DeskContext, Part

log = logging.getLogger("airalgo.desk")

MTM_SAMPLE_S = 1.0


class DayPnl(Part):
    """Positions, bars and the Day P&L curve of the run."""

    def __init__(self, ctx: DeskContext, bars: BarBook | None = None) -> None:
        self.ctx = ctx
        self.positions = PositionBook()
        self.bars = bars or BarBook(None, clock=ctx.clock)  # without a folder: in memory only (tests, tools)
        self.mtm = MtmCurve()
        self._last_mtm = -math.inf
        ctx.on(FillsBooked, self._on_fills)

    def _on_fills(self, notice: FillsBooked) -> None:
        if notice.replaced is not None:
            self.positions.replace(notice.replaced)
        for fill in notice.added:
            self.positions.add(fill)
        self._sample_mtm(self.ctx.clock())
        self.ctx.publish(PositionsChanged(len(notice.added) or 1))

    def on_event(self, event: Event) -> None:
        """Ticks: an append to the bar builder (bars are built on :meth:`sample`); a position's tick marks the Day
        P&L at once."""
        if isinstance(event, Ticks):
            quotes = event.quotes
            self.bars.on_ticks(quotes)
            if self.positions.positions and not self.positions.positions.keys().isdisjoint(quotes):
                # the Day P&L follows the positions' LTPs at once (a few positions: cheap), so the figure with the
                # chart is the Positions tab's total at every moment, not the last once-a-second sample's
                self._sample_mtm(self.ctx.clock())

    def sample(self, now: float) -> None:
        """The ticks since the last call become bars (closed minutes go to the bar store's writer thread), and the
        MTM curve gets a point once a second (ticks of a position's token mark it in between)."""
        self.bars.poll()
        for text in self.bars.take_problems():  # the bar store's write faults and rows it left out, once each
            self.ctx.publish(Problem(text, persistent=True))
        if now - self._last_mtm >= MTM_SAMPLE_S:
            self._sample_mtm(now)

    def day_pnl(self) -> Paisa | None:
        """The day's P&L now: every position marked to its current LTP — the Positions tab's total, to the paisa
        (None before the first fill)."""
        if not self.positions.positions:
            return None
        quotes = self.ctx.store.quotes
        ltps = {t: q["ltp"] for t in self.positions.positions if (q := quotes.get(t))}
        return self.positions.total(ltps)

    def _sample_mtm(self, now: float) -> None:
        self._last_mtm = now
        pnl = self.day_pnl()
        if pnl is not None:
            self.mtm.add(now, pnl)

    async def restore_bars(self) -> int:
        """Read today's stored bars back in a worker thread (off the window's critical path; ticks wait meanwhile),
        then rebuild the Day P&L curve from today's fills marked to each bar's close. Publishes
        :class:`BarsRestored`, and a :class:`Problem` when the bar store had to be set aside."""
        minutes = await asyncio.to_thread(self.bars.restore)
        if self.bars.notice:
            self.ctx.publish(Problem(self.bars.notice, persistent=True))
        log.info("bars: %d stored minutes of today restored", minutes)
        self.bars.poll()
        self.rebuild_mtm()
        self.ctx.publish(BarsRestored(minutes))
        await asyncio.to_thread(self.bars.maintain)
        return minutes

    def rebuild_mtm(self) -> None:
        """The Day P&L curve from today's fills and bars (after a restart it does not start again at zero);
        samples taken since start-up follow it."""
        fills = self.positions.fills
        if not fills:
            return
        now = self.ctx.clock()
        points = day_pnl_curve(fills, self.bars.bars, since=day_start(self.bars.today), now=now)
        live = [p for p in self.mtm.points if not points or p[0] > points[-1][0]]
        self.mtm.replace(points + live)
        self._sample_mtm(now)  # history is marked to bar closes; the point of now to the current LTPs

    def close(self) -> None:
        """Write the running minute too: a restart finds the day up to now."""
        self.bars.close()
