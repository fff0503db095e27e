"""The one clock the app reads "now" and "today" from, so tests can freeze or move it (Qt-free).

A :data:`Clock` is any callable returning an aware datetime. :func:`system_clock` is the exchange's wall clock
(IST); :class:`FixedClock` stands still until moved (unit tests); :class:`ShiftedClock` starts at a chosen moment
and then runs with real time (a live simulator or app at a chosen date: the event loop and timers still advance).

:func:`process_clock` is the process clock: :func:`~airalgo_desktop.domain.nsetime.now_ist`, the simulator, the
order engine, the chains and the payoff read it unless given a clock of their own. It is the system clock unless a
test installs another with :func:`use_clock`. There is deliberately no environment variable that moves it: a
terminal that could be told another date would expire orders and price options on a day that is not today. CI
checks for time bombs by running the date-sensitive tests under libfaketime (``.ci/run``), which also catches a
``datetime.now()`` that bypasses this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")
"""The exchange's time zone (India has no daylight saving, so the fixed offset is exact). Defined here, the lowest
module that needs it, so ``nsetime`` imports the clock and not the other way round (no import cycle)."""

Clock = Callable[[], datetime]
"""Returns the current moment, timezone-aware."""


def system_clock() -> datetime:
    """The wall clock on the exchange's time zone (IST)."""
    return datetime.now(IST)


class FixedClock:
    """A clock that reads ``moment`` until :meth:`set` or :meth:`advance` moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = _aware(moment)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        """Read ``moment`` from now on."""
        self.moment = _aware(moment)

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self.moment += delta


class ShiftedClock:
    """The system clock shifted so that it read ``start`` when this was made; it then runs at real speed."""

    def __init__(self, start: datetime, base: Clock = system_clock) -> None:
        self.base = base
        self.offset = _aware(start) - base()

    def __call__(self) -> datetime:
        return (self.base() + self.offset).astimezone(IST)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (IST or UTC)")
    return moment


_current: Clock = system_clock


def process_clock() -> datetime:
    """The current moment on the process clock (the system clock unless :func:`use_clock` installed another)."""
    return _current()


def today() -> date:
    """Today's date on the exchange (IST) by the process clock."""
    return _current().astimezone(IST).date()


def set_clock(clock: Clock | None) -> Clock:
    """Install ``clock`` as the process clock (None: the system clock); returns the one it replaced."""
    global _current
    previous, _current = _current, clock or system_clock
    return previous


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Run a block (a test) with ``clock`` as the process clock, then put the previous one back."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


__all__ = [
    "Clock", "FixedClock", "ShiftedClock", "process_clock", "set_clock", "system_clock", "today", "use_clock",
]
