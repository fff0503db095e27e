"""Bounded price history per instrument for the chart: recent points at full resolution, older ones thinned, so a
long session never grows without bound and the chart never redraws millions of points.

Points live in two flat arrays (16 bytes a point; a deque of tuples costs about 120), because the app keeps a history
for every row of the active watchlist: a 1,000-row list at its bound is 32 MB this way instead of 240 MB."""

from __future__ import annotations

from array import array

from ..domain.money import Paisa


class PriceHistory:
    """(time, price) samples of one instrument. At most ``capacity`` points: when full, the older half is thinned
    to every second point (so resolution falls with age, like a downsampled chart)."""

    __slots__ = ("capacity", "prices", "times")

    def __init__(self, capacity: int = 2_000) -> None:
        self.capacity = capacity
        self.times = array("d")  # epoch seconds
        self.prices = array("q")  # paisa

    def add(self, at: float, price: Paisa) -> None:
        """One sample (the same price again within a second is not a new point)."""
        times, prices = self.times, self.prices
        if times and at - times[-1] < 1.0 and prices[-1] == price:
            return
        times.append(at)
        prices.append(price)
        if len(times) > self.capacity:
            half = len(times) // 2
            self.times = times[:half:2] + times[half:]
            self.prices = prices[:half:2] + prices[half:]

    @property
    def last(self) -> tuple[float, Paisa] | None:
        """The latest sample."""
        return (self.times[-1], self.prices[-1]) if self.times else None

    @property
    def points(self) -> list[tuple[float, Paisa]]:
        """Every sample as (time, price), oldest first (a copy)."""
        return list(zip(self.times, self.prices, strict=True))

    def __len__(self) -> int:
        return len(self.times)


class HistoryBook:
    """Histories of every instrument that ticked (only while it is subscribed: the store feeds it)."""

    def __init__(self, capacity: int = 2_000) -> None:
        self.capacity = capacity
        self.by_token: dict[str, PriceHistory] = {}

    def add(self, token: str, at: float, price: Paisa) -> None:
        """Record one sample."""
        history = self.by_token.get(token)
        if history is None:
            history = self.by_token[token] = PriceHistory(self.capacity)
        history.add(at, price)
