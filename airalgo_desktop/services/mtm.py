"""The day's mark-to-market curve: P&L through the session from fills × ticks, with its maximum, minimum and the
maximum drawdown (each with its time) — the view traders use to judge a session."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.money import Paisa


@dataclass(frozen=True, slots=True)
class Extreme:
    """A value and when it happened."""

    value: Paisa
    at: float


@dataclass
class MtmCurve:
    """Samples of (time, MTM). Extremes update in O(1) per sample; the curve is bounded (older points thinned)."""

    max_points: int = 20_000
    points: list[tuple[float, Paisa]] = field(default_factory=list)
    high: Extreme | None = None
    low: Extreme | None = None
    drawdown: Paisa = 0  # largest fall from a running peak (a positive number)
    drawdown_from: Extreme | None = None
    drawdown_to: Extreme | None = None
    _peak: Extreme | None = None

    def replace(self, points: list[tuple[float, Paisa]]) -> None:
        """Start over from ``points`` (a curve rebuilt after a restart); extremes and drawdown follow."""
        self.points, self.high, self.low, self._peak = [], None, None, None
        self.drawdown, self.drawdown_from, self.drawdown_to = 0, None, None
        for at, value in points:
            self.add(at, value)

    def add(self, at: float, mtm: Paisa) -> None:
        """One sample (call at most a few times a second; identical consecutive values are kept once)."""
        if self.points and self.points[-1][1] == mtm and at - self.points[-1][0] < 60:
            return
        self.points.append((at, mtm))
        if len(self.points) > self.max_points:
            self.points = self.points[::2]  # thin evenly; extremes are tracked separately and stay exact
        point = Extreme(mtm, at)
        if self.high is None or mtm > self.high.value:
            self.high = point
        if self.low is None or mtm < self.low.value:
            self.low = point
        if self._peak is None or mtm > self._peak.value:
            self._peak = point
        fall = self._peak.value - mtm
        if fall > self.drawdown:
            self.drawdown, self.drawdown_from, self.drawdown_to = fall, self._peak, point
