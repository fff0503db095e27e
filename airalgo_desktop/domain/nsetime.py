"""Exchange time: the NSE 1980 epoch, order timestamps and ``ltt`` values.

* ``last_modified`` and ``expiry_date`` in ``order_response`` are seconds since 1980-01-01 00:00:00
  on the exchange's (IST) wall clock. India has no daylight saving, so a fixed +05:30 offset is exact.
  ``"0"`` and ``"0000000000"`` mean "none".
* ``timestamp`` is ``"H:M:S,D-M-YYYY"`` in IST, not zero padded (``"18:58:5,14-1-2025"``).
* ``ltt`` on ticks is UTC ISO 8601 (``"2025-01-09T12:53:00Z"``).
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta

from .clock import IST, process_clock
from .money import wire_number

NSE_EPOCH = datetime(1980, 1, 1, tzinfo=IST)

_ORDER_TS = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2}),(\d{1,2})-(\d{1,2})-(\d{4})\s*$", re.ASCII)

MARKET_OPEN = time(9, 15)
MARKET_CLOSE = time(15, 30)


def from_nse_seconds(value: int | float | str | None) -> datetime | None:
    """NSE-epoch seconds (int, float or digit string) → aware IST datetime; None for empty/zero/junk."""
    number = wire_number(value)
    if number is None or not 0 < number < 10**11:
        return None
    seconds = int(number)
    if seconds <= 0:
        return None
    try:
        return NSE_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def to_nse_seconds(moment: datetime) -> int:
    """Aware datetime → NSE-epoch seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (IST or UTC)")
    return int((moment - NSE_EPOCH).total_seconds())


def parse_order_timestamp(text: str | None) -> datetime | None:
    """``"18:58:5,14-1-2025"`` → aware IST datetime; None when absent or malformed."""
    if not isinstance(text, str):
        return None
    m = _ORDER_TS.match(text)
    if not m:
        return None
    hh, mm, ss, dd, mo, yyyy = (int(g) for g in m.groups())
    try:
        return datetime(yyyy, mo, dd, hh, mm, ss, tzinfo=IST)
    except ValueError:
        return None


def format_order_timestamp(moment: datetime) -> str:
    """Aware datetime → the exchange's ``"H:M:S,D-M-YYYY"`` (IST, no zero padding)."""
    t = moment.astimezone(IST)
    return f"{t.hour}:{t.minute}:{t.second},{t.day}-{t.month}-{t.year}"


def parse_ltt(text: str | None) -> datetime | None:
    """``"2025-01-09T12:53:00Z"`` (or any ISO 8601 with offset) → aware datetime; None if junk."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_ltt(moment: datetime) -> str:
    """Aware datetime → ``"2025-01-09T12:53:00Z"`` (UTC, whole seconds), as the feed sends it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_ist() -> datetime:
    """The current time on the exchange clock: the process clock of :mod:`.clock` (tests freeze it)."""
    return process_clock().astimezone(IST)


def in_market_hours(moment: datetime, start: time = MARKET_OPEN, end: time = MARKET_CLOSE) -> bool:
    """True on a weekday between ``start`` and ``end`` IST (exchange holidays are not modelled)."""
    t = moment.astimezone(IST)
    return t.weekday() < 5 and start <= t.time() < end


def trading_day_on_or_before(day: date, holidays: Container[date] = ()) -> date:
    """``day``, or the last weekday before it that is not one of ``holidays`` (the exchange's list, when known)."""
    while day.weekday() >= 5 or day in holidays:
        day -= timedelta(days=1)
    return day
