"""Bounded price history per instrument for the chart: recent points at full resolution, older ones thinned, so a
long session never grows without bound and the chart never redraws millions of points."""

from __future__ import annotations

from collections import deque

from ..domain.money import Paisa


class PriceHistory:
    """(time, price) samples of one instrument. At most ``capacity`` points: when full, the older half is thinned
    to every second point (so resolution falls with age, like a downsampled chart)."""

    def __init__(self, capacity: int = 4_000) -> None:
        self.capacity = capacity
        self.points: deque[tuple[float, Paisa]] = deque()

    def add(self, at: float, price: Paisa) -> None:
        """One tick (same-second duplicates replace the last point)."""
        points = self.points
        if points and at - points[-1][0] < 1.0 and points[-1][1] == price:
            return
        points.append((at, price))
        if len(points) > self.capacity:
            half = len(points) // 2
            old = list(points)[:half:2]
            recent = list(points)[half:]
            self.points = deque(old + recent)

    def __len__(self) -> int:
        return len(self.points)


class HistoryBook:
    """Histories of every instrument that ticked (only while it is subscribed: the store feeds it)."""

    def __init__(self, capacity: int = 4_000) -> None:
        self.capacity = capacity
        self.by_token: dict[str, PriceHistory] = {}

    def add(self, token: str, at: float, price: Paisa) -> None:
        """Record one tick."""
        history = self.by_token.get(token)
        if history is None:
            history = self.by_token[token] = PriceHistory(self.capacity)
        history.add(at, price)
