"""Exact unit conversion for master files: decimal text (or a JSON number) → integer paisa, and expiry dates.

Masters repeat the same few thousand strike, tick and expiry values across 250,000 rows, so every parser
here is memoised per distinct text: the conversion is exact (no float arithmetic) and costs one dict
lookup for all but the first occurrence.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from ..domain.nsetime import IST

EPOCH = date(1970, 1, 1)
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                        "NOV", "DEC"), start=1)}


MAX_DIGITS = 18  # whole-number digits of any price (in paise too) or quantity a master may carry


class UnitError(ValueError):
    """A value that cannot be converted exactly (the row is skipped and counted)."""


def _as_text(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


@lru_cache(maxsize=65536)
def _decimal(text: str, decimals: int) -> int:
    """``text`` × 10**decimals as an exact int; more non-zero decimals than that is an error."""
    sign = 1
    if text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if "e" in text or "E" in text:  # a JSON number like 1e-2: go through its exact decimal form
        from decimal import Decimal, InvalidOperation

        try:
            text = format(Decimal(text), "f")
        except InvalidOperation as exc:
            raise UnitError(f"'{text}' is not a number") from exc
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if not (whole or frac) or not (whole.isascii() and (whole.isdigit() or not whole)) or \
            (frac and not (frac.isascii() and frac.isdigit())):
        raise UnitError(f"'{text}' is not a number")
    if len(frac) > decimals:
        raise UnitError(f"'{text[:40]}' has more than {decimals} decimals")
    if len(whole.lstrip("0")) > MAX_DIGITS:  # no price or quantity has more; int() of 5,000 digits would raise
        raise UnitError(f"'{text[:24]}…' is too large" if len(text) > 24 else f"'{text}' is too large")
    return sign * (int(whole or "0") * 10 ** decimals + int((frac or "0").ljust(decimals, "0")))


def rupees_to_paisa(value: object) -> int:
    """``"23500"``, ``"0.050000"``, ``23500.0`` → paisa, exactly."""
    return _decimal(_as_text(value), 2)


def paise_to_paisa(value: object) -> int:
    """A value already in paise (Angel One ``"2350000.000000"``, Dhan ``"5.0000"``) → int, exactly."""
    return _decimal(_as_text(value), 0)


def whole_number(value: object) -> int:
    """Lot sizes and quantities: ``"75"``, ``"75.0"``, ``75`` → 75."""
    return _decimal(_as_text(value), 0)


def day_number(d: date) -> int:
    """Days since 1970-01-01 (how the store keeps expiries; 0 means none)."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date | None:
    """Inverse of :func:`day_number`; None for 0."""
    return EPOCH + timedelta(days=int(n)) if n else None


@lru_cache(maxsize=8192)
def parse_expiry(text: str) -> int:
    """Expiry text in any vendor spelling → day number. ``""`` → 0.

    ``2025-02-27`` (Kite, Dhan, with or without a time), ``27FEB2025``/``04Apr2024`` (Angel One),
    ``27-02-2025``, ``27/02/2025``, ``27-Feb-2025``, ``20250227``.
    """
    raw = text.strip()
    if not raw or raw in ("0", "-1", "NA", "None"):
        return 0
    head = raw.split(" ")[0]
    if len(head) > 10 and head[4] == "-" and head[10] == "T":  # ISO date-time; never split "28-OCT-2025" on T
        head = head[:10]
    try:
        if len(head) == 10 and head[4] == "-":
            return day_number(date(int(head[:4]), int(head[5:7]), int(head[8:10])))
        if len(head) == 10 and head[2] in "-/":
            return day_number(date(int(head[6:]), int(head[3:5]), int(head[:2])))
        upper = head.upper().replace("-", "")
        if len(upper) == 9 and upper[2:5] in _MONTHS:
            return day_number(date(int(upper[5:]), _MONTHS[upper[2:5]], int(upper[:2])))
        if len(head) == 8 and head.isdigit():
            return day_number(date(int(head[:4]), int(head[4:6]), int(head[6:])))
    except ValueError:
        pass
    raise UnitError(f"expiry '{raw}' is not a date")


@lru_cache(maxsize=8192)
def epoch_to_ist_day(seconds: int) -> int:
    """Unix seconds → day number of that moment's IST date (Upstox gives ms, Fyers seconds)."""
    if seconds <= 0:
        return 0
    try:
        return day_number(datetime.fromtimestamp(seconds, IST).date())
    except (OverflowError, OSError, ValueError):  # year 300,000: a junk cell, not a date
        raise UnitError(f"expiry {seconds} s is not a date") from None
