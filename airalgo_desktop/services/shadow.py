"""Shadow fills: what a live order would have filled at on the paper exchange, beside what it did fill at. Qt-free.

Slippage is signed from the trader's side: positive when the live fill was worse than the paper one (a buy paid
more, a sell got less), in paisa per unit, in paisa for the order, and in ticks.

Complete pairs are kept for the day report in ``shadow-fills.jsonl`` beside the journal (one JSON line each,
:func:`append_shadow`, :func:`read_shadow`); the live journal is not changed by them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from pathlib import Path

from ..domain.money import MAX_PRICE, Paisa, format_rupees
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

    def describe(self, *, total_ticks: bool = False) -> str:
        """``"Shadow slippage ₹12.50 over 4 orders (avg 1.25 ticks)"``; ``total_ticks`` adds the ticks summed
        (the day report: ``"…, 5 ticks in all"``)."""
        if not self.orders:
            return "Shadow slippage: no order compared yet"
        mean = self.mean_ticks
        assert mean is not None
        text = (f"Shadow slippage {format_rupees(self.slippage, sign=True)} over {self.orders} order"
                f"{'s' if self.orders != 1 else ''} (avg {float(mean):.2f} ticks)")
        if total_ticks:
            ticks = str(self.ticks.numerator) if self.ticks.denominator == 1 else f"{float(self.ticks):.2f}"
            text += f", {ticks} tick{'s' if abs(self.ticks) != 1 else ''} in all"
        return text


def summarise(fills: Iterable[ShadowFill]) -> ShadowSummary:
    """Sum the pairs whose both fills are known."""
    complete = [f for f in fills if f.complete]
    return ShadowSummary(len(complete), sum(f.slippage or 0 for f in complete),
                         sum((f.ticks or Fraction(0) for f in complete), Fraction(0)))


SHADOW_FILE = "shadow-fills.jsonl"


def append_shadow(path: Path, day: date, fill: ShadowFill) -> None:
    """Keep a complete pair for the day report: one JSON line, appended (UTF-8). Raises OSError when the disk
    refuses it (the caller logs it: a comparison is not worth stopping trading for)."""
    line = json.dumps({"day": day.isoformat(), "local_id": fill.local_id, "token": fill.token, "symbol": fill.symbol,
                       "side": fill.side.value, "quantity": fill.quantity, "tick": fill.tick,
                       "paper": fill.paper_price, "live": fill.live_price}, ensure_ascii=False)
    with path.open("a", encoding="utf-8", newline="\n") as out:
        out.write(line + "\n")


def read_shadow(path: Path, day: date) -> tuple[list[ShadowFill], int]:
    """The day's kept pairs (the last line per order wins) and how many lines could not be read (left out)."""
    if not path.is_file():
        return [], 0
    pairs: dict[str, ShadowFill] = {}
    bad = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["day"] != day.isoformat():
                continue
            fill = ShadowFill(str(row["local_id"]), str(row["token"]), str(row["symbol"]), Side(row["side"]),
                              _positive(row["quantity"]), _positive(row["tick"]), _positive(row["paper"]),
                              _positive(row["live"]))
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        pairs[fill.local_id] = fill
    return list(pairs.values()), bad


def _positive(value: object) -> int:
    """An integer in (0, MAX_PRICE]; ValueError otherwise (an implausible line is left out, never summed)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PRICE:
        raise ValueError(f"implausible value {value!r}")
    return value
