"""On a chart's price pane: the protective triggers of the charted instrument as lines the trader drags to move
them — allowed, because they are held by this app (an exchange SL could not be moved: the API has no modify).

A stop is a dashed line in the loss colour, a target in the profit colour, each labelled with its level and who
holds it. Dropping a line moves the trigger to that price on the tick grid (``TriggerDesk.move``); a move the
rules refuse (a stop dragged past the LTP would fire at once) snaps back and says why (:attr:`moveRefused`).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal

from ..desk.notices import TriggersChanged
from ..desk.triggers import TriggerDesk
from ..domain.money import Rounding, format_rupees, round_to_tick
from . import theme
from .listening import NoticeSource, listen


class TriggerLines(QObject):
    """The draggable stop/target lines of one chart view (its ``token`` and ``price_plot``)."""

    moveRefused = Signal(str)

    def __init__(self, view: Any, triggers: TriggerDesk) -> None:
        super().__init__(view)
        self.view, self.triggers = view, triggers
        self.items: list[tuple[pg.InfiniteLine, str, str]] = []  # (line, trigger id, "stop" / "target")
        self._drawn: list[tuple[str, str, int]] | None = None

    def draw(self) -> None:
        """The live triggers of the view's token now (nothing is redrawn when they did not change)."""
        token = self.view.token
        wanted = [(t.id, which, level) for t in (self.triggers.book.for_token(token) if token else [])
                  if not t.legs for which, level in (("stop", t.stop), ("target", t.target)) if level]
        if wanted == self._drawn:
            return
        self._drawn = wanted
        plot = self.view.price_plot
        for line, _id, _which in self.items:
            plot.removeItem(line)
        self.items = []
        for trigger_id, which, level in wanted:
            color = theme.DOWN if which == "stop" else theme.UP
            line = pg.InfiniteLine(pos=level / 100, angle=0, movable=True,
                                   pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                                   hoverPen=pg.mkPen(color, width=3),
                                   label=f"{which.capitalize()} {format_rupees(level)} — held by this app (drag)",
                                   labelOpts={"position": 0.85, "color": "w", "fill": color})
            line.sigPositionChangeFinished.connect(lambda item, i=trigger_id, w=which: self.dropped(item, i, w))
            plot.addItem(line, ignoreBounds=True)
            self.items.append((line, trigger_id, which))

    def dropped(self, line: pg.InfiniteLine, trigger_id: str, which: str) -> None:
        """A line was let go at a new price: move the trigger there (on the tick grid), or snap back and say why."""
        trigger = self.triggers.triggers.get(trigger_id)
        if trigger is None:
            return
        inst = self.triggers.ctx.master.get(trigger.token)
        tick = inst.tick_size if inst is not None and inst.tick_size > 0 else 5
        price = round_to_tick(max(tick, round(line.value() * 100)), tick, Rounding.NEAREST)
        try:
            self.triggers.move(trigger_id, **{which: price})
        except ValueError as exc:
            self.moveRefused.emit(str(exc))
        self._drawn = None  # the line goes to where the trigger now is (moved, or back where it was)
        self.draw()


def attach_trigger_lines(view: Any, desk: NoticeSource, triggers: TriggerDesk) -> TriggerLines:
    """Draw ``triggers`` on ``view`` and follow their changes until the view is destroyed."""
    lines = TriggerLines(view, triggers)
    listen(view, desk, {TriggersChanged: lambda _n: lines.draw()})
    lines.draw()
    return lines
