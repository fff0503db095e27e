"""Shadow fills: what a live order would have filled at on the paper exchange, beside what it did fill at. Qt-free.

Slippage is signed from the trader's side: positive when the live fill was worse than the paper one (a buy paid
more, a sell got less), in paisa per unit, in paisa for the order, and in ticks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction

from ..domain.money import Paisa, format_rupees
from ..domain.orders import Side


@dataclass(frozen=True, slots=True)
class ShadowFill:
    """One live order and its paper twin: ``paper_price`` when the paper exchange filled it, ``live_price`` when the
    exchange did (0: not yet)."""

    local_id: str
    token: str
    symbol: str
    side: Side
    quantity: int
    tick: Paisa
    paper_price: Paisa = 0
    live_price: Paisa = 0

    @property
    def complete(self) -> bool:
        """Both fills are known."""
        return self.paper_price > 0 and self.live_price > 0

    @property
    def per_unit(self) -> Paisa | None:
        """Live minus paper per unit, against the trader (paisa); None until both fills are known."""
        if not self.complete:
            return None
        diff = self.live_price - self.paper_price
        return diff if self.side is Side.BUY else -diff

    @property
    def slippage(self) -> Paisa | None:
        """The order's slippage in paisa (per unit × quantity); None until both fills are known."""
        unit = self.per_unit
        return None if unit is None else unit * self.quantity

    @property
    def ticks(self) -> Fraction | None:
        """The slippage per unit in ticks (a fraction when a fill is off the tick grid)."""
        unit = self.per_unit
        return None if unit is None else Fraction(unit, max(1, self.tick))

    def with_paper(self, price: Paisa) -> ShadowFill:
        """This pair with the paper fill."""
        return replace(self, paper_price=price)

    def with_live(self, price: Paisa) -> ShadowFill:
        """This pair with the live fill."""
        return replace(self, live_price=price)

    def describe(self) -> str:
        """``"Shadow: Buy 10 RELIANCE live ₹1,300.10 vs paper ₹1,300.00 — slippage ₹1.00 (2 ticks)"``."""
        head = f"Shadow: {self.side.label} {self.quantity} {self.symbol}"
        if not self.complete:
            return f"{head}: paper {format_rupees(self.paper_price) if self.paper_price else '—'}, live " \
                   f"{format_rupees(self.live_price) if self.live_price else '—'}"
        ticks = self.ticks
        assert ticks is not None and self.slippage is not None
        tick_text = f"{float(ticks):g}" if ticks.denominator != 1 else str(ticks.numerator)
        return (f"{head} live {format_rupees(self.live_price)} vs paper {format_rupees(self.paper_price)} — slippage "
                f"{format_rupees(self.slippage, sign=True)} ({tick_text} tick{'s' if abs(ticks) != 1 else ''})")


@dataclass(frozen=True, slots=True)
class ShadowSummary:
    """The day's shadow fills summed: ``orders`` compared, total slippage (paisa), total ticks (per unit, summed)."""

    orders: int
    slippage: Paisa
    ticks: Fraction

    @property
    def mean_ticks(self) -> Fraction | None:
        """Mean slippage per order in ticks (None before the first)."""
        return self.ticks / self.orders if self.orders else None

    def describe(self) -> str:
        """``"Shadow slippage ₹12.50 over 4 orders (avg 1.25 ticks)"``."""
        if not self.orders:
            return "Shadow slippage: no order compared yet"
        mean = self.mean_ticks
        assert mean is not None
        return (f"Shadow slippage {format_rupees(self.slippage, sign=True)} over {self.orders} order"
                f"{'s' if self.orders != 1 else ''} (avg {float(mean):.2f} ticks)")


def summarise(fills: Iterable[ShadowFill]) -> ShadowSummary:
    """Sum the pairs whose both fills are known."""
    complete = [f for f in fills if f.complete]
    return ShadowSummary(len(complete), sum(f.slippage or 0 for f in complete),
                         sum((f.ticks or Fraction(0) for f in complete), Fraction(0)))
