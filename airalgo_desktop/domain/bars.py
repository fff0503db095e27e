"""One-minute bars as data: the chart timeframes, the IST day numbers bars are filed under, a run of bars of one
token (:class:`Bars`, parallel numpy arrays) and one sealed minute of every token (:class:`SealedMinute`).

Pure values and arithmetic, no I/O: the bar builder (``services.bars``) makes them, the bar store
(``store.bars``) files them, the chart draws them. IST is UTC+05:30 with no daylight saving, so IST minute
boundaries are UTC minute boundaries and a day number is plain integer arithmetic on epoch seconds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

IST_OFFSET = 19_800  # seconds east of UTC
DAY = 86_400
SESSION_START_MINUTE = 9 * 60 + 15  # 09:15 IST: frames of 3…60 minutes are aligned to the session's open


class Frame(enum.Enum):
    """Chart timeframes: minutes per bar (``DAY`` is one bar per IST trading day)."""

    M1 = 1
    M3 = 3
    M5 = 5
    M15 = 15
    M30 = 30
    H1 = 60
    DAY = 1440

    @property
    def label(self) -> str:
        """``1m``, ``5m``, ``1h``, ``1D`` — what the picker shows."""
        if self is Frame.DAY:
            return "1D"
        return "1h" if self is Frame.H1 else f"{self.value}m"

    @classmethod
    def parse(cls, text: str) -> Frame:
        """``"5m"`` / ``"M5"`` / ``"5"`` → Frame.M5, ``"1d"`` → Frame.DAY (any case; unknown text → M1)."""
        text = text.strip().lower()
        for frame in cls:
            if text in (frame.label.lower(), frame.name.lower(), str(frame.value)):
                return frame
        return cls.M1


def day_number(epoch_seconds: float) -> int:
    """Days since 1970-01-01 on the IST calendar."""
    return int((epoch_seconds + IST_OFFSET) // DAY)


def day_of(number: int) -> date:
    """IST day number → date."""
    return date(1970, 1, 1) + timedelta(days=number)


def number_of(day: date) -> int:
    """date → IST day number."""
    return (day - date(1970, 1, 1)).days


def day_start(number: int) -> int:
    """Epoch seconds of 00:00 IST on that day."""
    return number * DAY - IST_OFFSET


@dataclass(frozen=True, slots=True)
class Bars:
    """A run of bars of one token, oldest first, as parallel numpy arrays (never per-bar objects).

    ``time`` is the epoch second each bar starts; prices are paisa; ``volume`` is the sum of ``ltq`` received;
    ``pv`` is Σ price × qty (so VWAP can be carried across frames); ``vwap`` is the day's running VWAP at the bar's
    close (NaN until some volume was seen that day)."""

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    pv: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def empty(cls) -> Bars:
        """No bars."""
        i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        return cls(i, i, i, i, i, i, f)

    @classmethod
    def concat(cls, parts: Iterable[Bars]) -> Bars:
        """Join runs (older first)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__slots__))

    @property
    def vwap(self) -> np.ndarray:
        """The IST day's running VWAP at each bar's close (paisa, float; NaN before any volume that day)."""
        if not len(self):
            return np.zeros(0)
        days = (self.time + IST_OFFSET) // DAY
        starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        cum_v = np.cumsum(self.volume, dtype=np.float64)
        cum_pv = np.cumsum(self.pv)
        # subtract what the earlier days had accumulated, so each day starts afresh
        lengths = np.diff(np.r_[starts, len(self)])
        base_v = np.repeat(np.r_[0.0, cum_v[starts[1:] - 1]], lengths)
        base_pv = np.repeat(np.r_[0.0, cum_pv[starts[1:] - 1]], lengths)
        v = cum_v - base_v
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(v > 0, (cum_pv - base_pv) / np.where(v > 0, v, 1), np.nan)

    def resample(self, frame: Frame) -> Bars:
        """These (one-minute) bars aggregated to ``frame``: buckets aligned to 09:15 IST (``09:15, 09:20 …`` for
        5 minutes, ``09:15, 10:15 …`` for an hour), one bar per IST day for ``Frame.DAY``; a bucket's open is its
        first bar's open, close its last bar's close, high/low the extremes, volume and Σpv the sums."""
        if frame is Frame.M1 or not len(self):
            return self
        local_minute = (self.time + IST_OFFSET) // 60
        if frame is Frame.DAY:
            key = local_minute // 1440
            start = key * DAY - IST_OFFSET
        else:
            day = local_minute // 1440
            within = local_minute - day * 1440 - SESSION_START_MINUTE
            bucket = within // frame.value  # negative before 09:15: still aligned to the session's grid
            key = day * 100_000 + bucket
            start = day * DAY - IST_OFFSET + (SESSION_START_MINUTE + bucket * frame.value) * 60
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)] - 1
        return Bars(start[starts], self.open[starts], np.maximum.reduceat(self.high, starts),
                    np.minimum.reduceat(self.low, starts), self.close[ends], np.add.reduceat(self.volume, starts),
                    np.add.reduceat(self.pv, starts))


@dataclass(frozen=True, slots=True)
class SealedMinute:
    """One closed minute of every token that traded in it: what the bar store writes (one row per minute)."""

    day: int  # IST day number
    minute: int  # minute of the IST day, 0…1439
    tokens: list[str]
    open: np.ndarray  # int32 paisa
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # int64
    pv: np.ndarray  # float64
