"""Is what a master import read plausible for NSE? Run on every import, whatever the layout.

A misread unit does not make a row unreadable: Angel One's strike ×100 read as rupees gives a perfectly
parseable "NIFTY 1600000 CE" with a ₹5.00 tick. Such values are the signature of a file read in the wrong
layout, so an import with any of them is refused as a whole (the stored master stays as it was) and the message
names the offending contracts. Values no unit could explain (a tick of ₹10 lakh, a lot overflowing the column)
are single broken rows instead: :class:`~airalgo_desktop.instruments.catalog.Builder` skips those one by one.

The checks (all in paisa):

* tick on NSE's grid — ₹0.01 or a multiple of ₹0.05 — and not above what NSE uses for that kind of contract:
  index futures and options ₹0.50 (they tick ₹0.05–₹0.20), other options ₹1, cash and stock futures ₹10 (the
  2025 price-band ticks go up to ₹5);
* index-option strikes between 1/50 and 10× the index's level (table below, from NSE's published levels of
  2025–26; that leaves decades of room either way — real masters list NIFTY 1500 CE — and still catches ×100
  and ÷100), and every option's strike within the same factors of the median strike of its underlying's options
  in the same file;
* lot sizes up to 10,000 for index derivatives and 1,000,000 otherwise; a freeze quantity, when given, at least
  one lot and at most 100,000,000.
"""

from __future__ import annotations

from .catalog import CE, FUT, Builder, describe
from .catalog import rupees as _rupees

INDEX_LEVELS: dict[str, int] = {  # rupees, about where each index traded in 2025–26
    "NIFTY": 25_000, "BANKNIFTY": 55_000, "FINNIFTY": 26_000, "MIDCPNIFTY": 13_000, "NIFTYNXT50": 68_000,
}
LEVEL_FACTOR = 10  # strikes up to 10× the level …
LOW_FACTOR = 50  # … and down to 1/50 of it (real masters list far-out strikes: NIFTY 1500 CE in Sep 2026)
MAX_INDEX_TICK = 50
MAX_OPTION_TICK = 100
MAX_TICK = 1_000
MAX_INDEX_LOT = 10_000
MAX_LOT = 1_000_000
MAX_FREEZE = 100_000_000
SHOWN = 5  # offending contracts named in the message
MIN_STRIKES = 5


def row_problems(b: Builder, row: int, median_strike: dict[str, int]) -> list[str]:
    """What is implausible about one kept row (empty when nothing)."""
    kind, tick, lot, freeze = b.kind[row], b.tick[row], b.lot[row], b.freeze[row]
    index = bool(b.index[row]) and kind >= FUT
    out: list[str] = []
    if tick != 1 and tick % 5:
        out.append(f"tick {_rupees(tick)} is not on NSE's grid (₹0.01 or multiples of ₹0.05)")
    limit = MAX_INDEX_TICK if index else MAX_OPTION_TICK if kind >= CE else MAX_TICK
    if tick > limit:
        out.append(f"tick {_rupees(tick)} is larger than any NSE "
                   f"{'index derivative' if index else 'option' if kind >= CE else 'contract'}'s ({_rupees(limit)})")
    if lot > (MAX_INDEX_LOT if index else MAX_LOT):
        out.append(f"lot size {lot:,} is out of range")
    if freeze and not lot <= freeze <= MAX_FREEZE:
        out.append(f"freeze quantity {freeze:,} is {'below one lot' if freeze < lot else 'out of range'}")
    if kind >= CE:
        strike, under = b.strike[row], b.under[row]
        level = INDEX_LEVELS.get(under, 0) * 100 if index else 0
        if level:
            if not level // LOW_FACTOR <= strike <= level * LEVEL_FACTOR:
                out.append(f"strike {_rupees(strike)} is far from {under}'s level (about {_rupees(level)})")
        else:
            mid = median_strike.get(under, 0)
            if mid and not mid // LOW_FACTOR <= strike <= mid * LEVEL_FACTOR:
                out.append(f"strike {_rupees(strike)} is far from {under}'s other strikes (about {_rupees(mid)})")
    return out


def implausible(b: Builder, start: int = 0) -> list[tuple[str, list[str]]]:
    """The rows from ``start`` on with implausible values: (contract in words, what is wrong), in file order.

    The same tests as :func:`row_problems`, first as array masks (a 250,000-row master in tens of milliseconds),
    then in words for the few rows they flag."""
    import numpy as np

    n = len(b) - start
    if n <= 0:
        return []
    kind = np.array(b.kind[start:], dtype=np.int8)
    tick = np.array(b.tick[start:], dtype=np.int64)
    lot = np.array(b.lot[start:], dtype=np.int64)
    freeze = np.array(b.freeze[start:], dtype=np.int64)
    strike = np.array(b.strike[start:], dtype=np.int64)
    index = (np.array(b.index[start:], dtype=np.int8) == 1) & (kind >= FUT)
    option = kind >= CE
    names, under = np.unique(np.array(b.under[start:]), return_inverse=True)
    under = under.reshape(-1)
    # each underlying's median option strike (the lower middle one); a median of a handful of strikes says little,
    # so only underlyings with MIN_STRIKES options are compared with it
    rows = np.flatnonzero(option & (strike > 0))
    order = rows[np.lexsort((strike[rows], under[rows]))]
    counts = np.bincount(under[rows], minlength=len(names))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    mid_of = np.where(counts >= MIN_STRIKES, strike[order[np.minimum(first + (counts - 1) // 2, len(order) - 1)]]
                      if len(order) else 0, 0)
    median_strike = {str(names[i]): int(mid_of[i]) for i in np.flatnonzero(mid_of).tolist()}
    level_of = np.array([INDEX_LEVELS.get(str(name), 0) * 100 for name in names], dtype=np.int64)
    level = np.where(index, level_of[under], 0)
    mid = np.where(level == 0, mid_of[under], 0)
    limit = np.where(index, MAX_INDEX_TICK, np.where(option, MAX_OPTION_TICK, MAX_TICK))
    flagged = ((tick != 1) & (tick % 5 != 0)) | (tick > limit) | (lot > np.where(index, MAX_INDEX_LOT, MAX_LOT))
    flagged |= (freeze != 0) & ((freeze < lot) | (freeze > MAX_FREEZE))
    flagged |= option & (level > 0) & ((strike < level // LOW_FACTOR) | (strike > level * LEVEL_FACTOR))
    flagged |= option & (mid > 0) & ((strike < mid // LOW_FACTOR) | (strike > mid * LEVEL_FACTOR))
    found: list[tuple[str, list[str]]] = []
    for offset in np.flatnonzero(flagged).tolist():
        row = start + offset
        problems = row_problems(b, row, median_strike)
        if problems:
            found.append((describe(b.symbol[row], b.under[row], b.kind[row], b.expiry[row], b.strike[row]),
                          problems))
    return found


def refusal(name: str, found: list[tuple[str, list[str]]]) -> str:
    """One message for an import refused by :func:`implausible`, naming the first offending contracts."""
    shown = "; ".join(f"{what} ({', '.join(problems)})" for what, problems in found[:SHOWN])
    more = f"; and {len(found) - SHOWN:,} more" if len(found) > SHOWN else ""
    rows = f"{len(found):,} row{'s' if len(found) != 1 else ''}"
    return (f"{name} was not imported, the previous master is kept: {rows} read with implausible values, "
            f"so the file is probably in another layout or unit than it was read in — {shown}{more}.")
