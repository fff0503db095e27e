"""Trading guards: checks before Send that stop the obvious mistakes. Pure logic; the ticket shows the verdicts.

* duplicate order — same instrument, side, quantity and type within a few seconds → confirm
* price far from the LTP (limit price or trigger, default ±5 %) → confirm
* (the order value limit moved to the risk gate, ``services/risk.py``: Trade → Risk limits…)
* quantity above the exchange freeze quantity (from the instrument CSV) → block
* a market order while the last tick is stale (or there is none) → confirm
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields

from ..domain.instruments import Instrument
from ..domain.money import Paisa, format_rupees
from ..domain.orders import OrderKind, OrderRequest


class Level(enum.Enum):
    """What a guard asks for."""

    CONFIRM = "confirm"
    BLOCK = "block"


@dataclass(frozen=True)
class Verdict:
    """One guard's finding, in words."""

    guard: str
    level: Level
    message: str


@dataclass
class GuardSettings:
    """Thresholds; each guard can be switched off. Stored under ``guards/`` (read by ``settings.Prefs.load_guards``,
    which keeps the default for any unreadable value)."""

    duplicate_enabled: bool = True
    duplicate_window_s: float = 5.0
    price_band_enabled: bool = True
    price_band_pct: float = 5.0
    freeze_enabled: bool = True
    stale_enabled: bool = True
    stale_after_s: float = 10.0

    def to_dict(self) -> dict[str, object]:
        """For the settings."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RecentOrder:
    """What the duplicate guard remembers of an order sent earlier."""

    token: str
    side: str
    quantity: int
    kind: str
    at: float


def evaluate(request: OrderRequest, instrument: Instrument | None, *, ltp: Paisa | None, tick_age: float | None,
             recent: Iterable[RecentOrder], now: float, settings: GuardSettings) -> list[Verdict]:
    """Every guard's verdict on ``request`` (empty: nothing to say)."""
    out: list[Verdict] = []
    if settings.duplicate_enabled:
        for r in recent:
            if (r.token, r.side, r.quantity, r.kind) == (request.token, request.side.value, request.quantity,
                                                         request.kind.value) and 0 <= now - r.at <= \
                    settings.duplicate_window_s:
                out.append(Verdict("duplicate", Level.CONFIRM,
                                   f"Same order ({request.side.label} {request.quantity} {request.kind.label}) was "
                                   f"sent {now - r.at:.0f} s ago. Send it again?"))
                break
    if settings.price_band_enabled and ltp:
        band = settings.price_band_pct / 100
        for label, price in (("Price", request.price), ("Trigger", request.trigger_price)):
            if price and abs(price - ltp) > ltp * band:
                pct = (price - ltp) * 100 / ltp
                out.append(Verdict("price_band", Level.CONFIRM,
                                   f"{label} {format_rupees(price)} is {pct:+.1f}% from the LTP {format_rupees(ltp)}."))
    if settings.freeze_enabled and instrument is not None and instrument.freeze_qty and \
            request.quantity > instrument.freeze_qty:
        out.append(Verdict("freeze", Level.BLOCK, f"Quantity {request.quantity} is above the exchange freeze "
                                                  f"quantity {instrument.freeze_qty}."))
    if settings.stale_enabled and request.kind is OrderKind.MARKET and (tick_age is None or
                                                                          tick_age > settings.stale_after_s):
        seen = "no tick has arrived yet" if tick_age is None else f"the last tick is {tick_age:.0f} s old"
        out.append(Verdict("stale", Level.CONFIRM, f"Market order while {seen}: the price may have moved."))
    return out
