"""Positions and day P&L from executed orders, in exact arithmetic (no float anywhere).

Conventions of Indian terminals (Kite, NEST): per instrument, buy and sell quantities and average prices of the
day; net quantity = bought − sold; **total P&L = (sell value − buy value) + net quantity × LTP** (an exact integer
in paisa); realised P&L = matched quantity × (average sell − average buy); unrealised = total − realised. Averages
are kept as :class:`~fractions.Fraction`; paisa are rounded half away from zero only for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from ..domain.money import Paisa
from ..domain.orders import Side


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: an order that reached Executed (whole quantity at ``price``)."""

    token: str
    side: Side
    quantity: int
    price: Paisa
    at: float = 0.0  # seconds (the caller's clock), for the MTM curve


def round_paisa(value: Fraction | int) -> Paisa:
    """Round to whole paisa, half away from zero (as exchanges and brokers display)."""
    if isinstance(value, int):
        return value
    q, r = divmod(abs(value.numerator), value.denominator)
    if 2 * r >= value.denominator:
        q += 1
    return q if value >= 0 else -q


@dataclass
class Position:
    """One instrument's day position."""

    token: str
    bought: int = 0
    sold: int = 0
    buy_value: int = 0  # paisa × quantity
    sell_value: int = 0

    def add(self, fill: Fill) -> None:
        """Account one fill."""
        if fill.side is Side.BUY:
            self.bought += fill.quantity
            self.buy_value += fill.quantity * fill.price
        else:
            self.sold += fill.quantity
            self.sell_value += fill.quantity * fill.price

    @property
    def net(self) -> int:
        """Net quantity: positive long, negative short."""
        return self.bought - self.sold

    @property
    def avg_buy(self) -> Fraction | None:
        """Average buy price (paisa), None without buys."""
        return Fraction(self.buy_value, self.bought) if self.bought else None

    @property
    def avg_sell(self) -> Fraction | None:
        """Average sell price (paisa), None without sells."""
        return Fraction(self.sell_value, self.sold) if self.sold else None

    def total_pnl(self, ltp: Paisa | None) -> int:
        """(sell value − buy value) + net × LTP; exact. Without an LTP an open position counts at cost."""
        if self.net and ltp is None:
            return self.realised()
        return self.sell_value - self.buy_value + self.net * (ltp or 0)

    def realised_exact(self) -> Fraction:
        """Matched quantity × (average sell − average buy)."""
        matched = min(self.bought, self.sold)
        if not matched:
            return Fraction(0)
        assert self.avg_buy is not None and self.avg_sell is not None
        return matched * (self.avg_sell - self.avg_buy)

    def realised(self) -> Paisa:
        """Realised P&L in paisa (rounded for display)."""
        return round_paisa(self.realised_exact())

    def unrealised(self, ltp: Paisa | None) -> Paisa:
        """Open quantity × (LTP − average price of the open side), in paisa."""
        if not self.net or ltp is None:
            return 0
        open_avg = self.avg_buy if self.net > 0 else self.avg_sell
        assert open_avg is not None
        return round_paisa(self.net * (ltp - open_avg))

    def square_off(self) -> tuple[Side, int] | None:
        """The order that closes this position (opposite side, net quantity), None when flat."""
        if self.net > 0:
            return Side.SELL, self.net
        if self.net < 0:
            return Side.BUY, -self.net
        return None


class PositionBook:
    """All positions of the day, updated fill by fill."""

    def __init__(self, fills: Iterable[Fill] = ()) -> None:
        self.positions: dict[str, Position] = {}
        self.fills: list[Fill] = []
        for fill in fills:
            self.add(fill)

    def add(self, fill: Fill) -> Position:
        """Account one fill; returns its position."""
        if fill.quantity <= 0:
            raise ValueError("a fill needs a positive quantity")
        position = self.positions.setdefault(fill.token, Position(fill.token))
        position.add(fill)
        self.fills.append(fill)
        return position

    def replace(self, fills: Iterable[Fill]) -> None:
        """Recount from ``fills`` (in place: views hold this book). For an order whose fill changed — a trader's
        check, or the exchange answer that replaces it."""
        self.positions.clear()
        self.fills.clear()
        for fill in list(fills):
            self.add(fill)

    def total(self, ltps: dict[str, Paisa]) -> int:
        """Day P&L of every position (the MTM): Σ (sell value − buy value + net × LTP)."""
        return sum(p.total_pnl(ltps.get(token)) for token, p in self.positions.items())
