"""One contract label for every view, in the traders' own form: ``NIFTY 8 DEC 23500 CE``, ``NIFTY DEC FUT``,
``RELIANCE`` — the year only when the expiry is not in the current year (``NIFTY 24 JUN 2027 26000 CE``).

The segment (NSE / NFO) is not part of the label: views show it as a small badge or a column of its own.

When a view has less room than the label needs, :func:`fit_label` gives it up in the order that loses least: the
underlying's name is shortened first (``BANKN… 8 DEC 49500 PE``), then the year goes; the strike, CE/PE and the day
of expiry are never cut. It takes a text-measuring callable (a ``QFontMetrics.horizontalAdvance`` in the views, a
character count in the tests), so it stays pure and testable without Qt.

F&O quantities read in lots and units (:func:`quantity_text`: ``2 lots · 130``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .instruments import Instrument

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class LabelParts:
    """A contract label in pieces: ``name`` is the underlying (or the cash symbol); the rest empty where it does not
    apply (a cash row has only a name; a future has no day or strike)."""

    name: str
    day: str = ""
    month: str = ""
    year: str = ""
    strike: str = ""
    kind: str = ""  # CE, PE or FUT

    def text(self, name: str | None = None, *, year: bool = True) -> str:
        """The label with ``name`` in place of the underlying's (a shortened one) and with or without the year."""
        words = [self.name if name is None else name, self.day, self.month, self.year if year else "",
                 self.strike, self.kind]
        return " ".join(w for w in words if w)

    @property
    def core(self) -> str:
        """What must never be cut: day, month, strike and the type (``8 DEC 23500 CE``; a cash label is its
        name)."""
        return self.text("", year=False) or self.name


def label_parts(inst: Instrument, this_year: int | None = None) -> LabelParts:
    """The pieces of ``inst``'s label; the year is kept only when the expiry is not in ``this_year`` (None: always
    kept)."""
    if inst.expiry is None or not inst.name or inst.instrument_type not in ("FUT", "CE", "PE"):
        return LabelParts(inst.symbol)
    year = "" if this_year is not None and inst.expiry.year == this_year else str(inst.expiry.year)
    month = inst.expiry.strftime("%b").upper()
    if inst.instrument_type == "FUT":
        return LabelParts(inst.name, month=month, year=year, kind="FUT")
    strike = str(inst.strike // 100) if inst.strike % 100 == 0 else f"{inst.strike / 100:g}"
    return LabelParts(inst.name, str(inst.expiry.day), month, year, strike, inst.instrument_type)


def contract_label(inst: Instrument, this_year: int | None = None) -> str:
    """``NIFTY 8 DEC 23500 CE`` / ``NIFTY DEC FUT`` / ``RELIANCE``; the year when the expiry is not in
    ``this_year`` (None: always)."""
    return label_parts(inst, this_year).text()


def segment_of(inst: Instrument) -> str:
    """The segment badge: ``NSE`` for cash, ``NFO`` for futures and options."""
    return "NFO" if inst.is_derivative else (inst.exchange or "NSE").upper()


def fit_label(parts: LabelParts, room: float, measure: Callable[[str], float]) -> str:
    """The longest form of ``parts`` whose ``measure`` is at most ``room``: first the full label, then the
    underlying's name shortened letter by letter (``BANKN…``), then without the year (and the name as long as it then
    fits), then the core alone. The strike, CE/PE and the day are never cut: when even the core does not fit, the
    core is returned (the view clips it; its column minimum is set so that it does not happen). A cash symbol is cut
    at the end (``RELIAN…``) — it has nothing else to give."""
    if not parts.kind:  # a cash symbol: its name is all there is
        return _shortened(parts.name, room, measure, lambda short: short) or parts.name[:1] + ELLIPSIS
    for year in ((True, False) if parts.year else (True,)):
        fitted = _shortened(parts.name, room, measure, lambda short, y=year: parts.text(short, year=y))
        if fitted is not None:
            return fitted
    return parts.core


def _shortened(name: str, room: float, measure: Callable[[str], float],
               build: Callable[[str], str]) -> str | None:
    """``build(name)`` if it fits, else ``build(prefix + "…")`` with the longest prefix of at least one letter that
    fits, else None (a binary search: the measure is the costly part)."""
    whole = build(name)
    if measure(whole) <= room:
        return whole
    lo, hi, best = 1, len(name) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        text = build(name[:mid] + ELLIPSIS)
        if measure(text) <= room:
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best


def quantity_text(quantity: int, lot_size: int) -> str:
    """A quantity as traders read it: ``2 lots · 130`` for F&O (lot size above 1), ``1 lot · 65``; a quantity that
    is not whole lots (an old journal, a changed lot size) as ``98 (1 lot = 65)``; cash (lot 1) as ``130``."""
    if lot_size <= 1:
        return f"{quantity:,}"
    lots, part = divmod(abs(quantity), lot_size)
    if part:
        return f"{quantity:,} (1 lot = {lot_size:,})"
    sign = "-" if quantity < 0 else ""
    return f"{sign}{lots:,} lot{'s' if lots != 1 else ''} · {quantity:,}"
