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
    """Samples of (time, MTM). Extremes update in O(1) per sample; the curve is bounded (older points thinned).

    The last point is always the latest mark: a sample less than :attr:`resolution` seconds after the point before
    the last replaces the last one (like a bar's close follows the ticks of its minute), so the figure read off the
    curve is the positions' total now while the stored history stays about one point a second."""

    max_points: int = 20_000
    resolution: float = 1.0  # seconds between kept points
    points: list[tuple[float, Paisa]] = field(default_factory=list)
    high: Extreme | None = None
    low: Extreme | None = None
    drawdown: Paisa = 0  # largest fall from a running peak (a positive number)
    drawdown_from: Extreme | None = None
    drawdown_to: Extreme | None = None
    _peak: Extreme | None = None
    _open_at: float = float("-inf")  # when the last point's slot began (it follows the marks until resolution)

    @property
    def last(self) -> Paisa | None:
        """The latest mark (None before the first)."""
        return self.points[-1][1] if self.points else None

    def replace(self, points: list[tuple[float, Paisa]]) -> None:
        """Start over from ``points`` (a curve rebuilt after a restart); extremes and drawdown follow."""
        self.points, self.high, self.low, self._peak = [], None, None, None
        self.drawdown, self.drawdown_from, self.drawdown_to = 0, None, None
        self._open_at = float("-inf")
        for at, value in points:
            self.add(at, value)

    def add(self, at: float, mtm: Paisa) -> None:
        """One mark (as often as the marks change: a new point at most every :attr:`resolution` seconds, the last
        point follows in between; an unchanged value within a minute adds nothing)."""
        if self.points and self.points[-1][1] == mtm and at - self.points[-1][0] < 60:
            return
        if self.points and at - self._open_at < self.resolution:
            self.points[-1] = (at, mtm)
        else:
            self.points.append((at, mtm))
            self._open_at = at
            if len(self.points) > self.max_points:
                # thin evenly, keeping the latest mark; extremes are tracked separately and stay exact
                self.points = self.points[::-2][::-1]
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
